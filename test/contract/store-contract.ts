import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { TelemetryStore } from "../../src/controller/store/telemetry-store.js";
import type { HostFeatures } from "../../src/controller/types.js";
import type { Ack, Command, HostBirth, HostState, Reading, Telemetry } from "../../src/protocol/index.js";

/**
 * The behaviour every TelemetryStore must show, as one suite run against each backend (MQTT.js abstract_store
 * style): `describeTelemetryStoreContract("sqlite :memory:", () => Promise.resolve(new SqliteTelemetryStore(":memory:")))`.
 * Each test gets a fresh, empty store from `open` and closes it afterwards.
 */
export function describeTelemetryStoreContract(label: string, open: () => Promise<TelemetryStore>): void {
  describe(`TelemetryStore contract: ${label}`, () => {
    let store: TelemetryStore;
    beforeEach(async () => {
      store = await open();
    });
    afterEach(async () => {
      await store.close();
    });

    describe("hosts", () => {
      it("registers a host from its birth, in Setup until a transition says otherwise", async () => {
        const b = birth("r740-01");
        expect(await store.upsertHost(b)).toEqual({ applied: true });
        expect(await store.getHost("r740-01")).toEqual({
          hostId: "r740-01",
          online: true,
          boot: BOOT_A,
          lastSeenMs: T0,
          birth: b,
          offlineReason: undefined,
          state: "Setup",
        });
        expect(await store.getHost("nobody")).toBeUndefined();
      });

      it("marks the host offline on its Last Will and keeps the manifest", async () => {
        await store.upsertHost(birth("r740-01"));
        expect(await store.upsertHost(offline("r740-01", BOOT_A, T0 + 5_000))).toEqual({ applied: true });
        const host = await store.getHost("r740-01");
        expect(host).toMatchObject({ online: false, boot: BOOT_A, offlineReason: "lost", lastSeenMs: T0 + 5_000 });
        expect(host?.birth?.sensors).toHaveLength(5);
      });

      it("ignores a late Last Will of an earlier boot once the host restarted", async () => {
        await store.upsertHost(birth("r740-01", BOOT_A, T0));
        await store.upsertHost(birth("r740-01", BOOT_B, T0 + 60_000));
        expect(await store.upsertHost(offline("r740-01", BOOT_A, T0))).toEqual({ applied: false });
        expect(await store.getHost("r740-01")).toMatchObject({ online: true, boot: BOOT_B, lastSeenMs: T0 + 60_000 });
      });

      it("does not let a redelivered birth undo the same boot's offline state, but takes a newer birth", async () => {
        await store.upsertHost(birth("r740-01", BOOT_A, T0));
        await store.upsertHost(offline("r740-01", BOOT_A, T0 - 10));
        expect(await store.upsertHost(birth("r740-01", BOOT_A, T0))).toEqual({ applied: false });
        expect((await store.getHost("r740-01"))?.online).toBe(false);
        expect(await store.upsertHost(birth("r740-01", BOOT_A, T0 + 1))).toEqual({ applied: true });
        expect((await store.getHost("r740-01"))?.online).toBe(true);
      });

      it("takes a redelivered birth while the host is online (idempotent)", async () => {
        await store.upsertHost(birth("r740-01"));
        expect(await store.upsertHost(birth("r740-01"))).toEqual({ applied: true });
      });

      it("knows a host seen only through telemetry, offline and without a manifest", async () => {
        await store.appendTelemetry([telemetry("mac-01", 3), telemetry("mac-01", 1)]);
        expect(await store.getHost("mac-01")).toEqual({
          hostId: "mac-01",
          online: false,
          boot: undefined,
          lastSeenMs: T0 + 3_000,
          birth: undefined,
          offlineReason: undefined,
          state: "Setup",
        });
      });

      it("lists hosts by id", async () => {
        await store.upsertHost(birth("r740-02"));
        await store.upsertHost(birth("mac-01"));
        await store.appendTelemetry([telemetry("r740-01", 0)]);
        expect((await store.listHosts()).map((h) => h.hostId)).toEqual(["mac-01", "r740-01", "r740-02"]);
      });
    });

    describe("raw telemetry", () => {
      it("is idempotent on (host, boot, seq): the same batch twice stores nothing the second time", async () => {
        const batch = [0, 1, 2, 3, 4].map((s) => telemetry("r740-01", s));
        expect(await store.appendTelemetry(batch)).toEqual({ inserted: 5, duplicates: 0 });
        expect(await store.appendTelemetry(batch)).toEqual({ inserted: 0, duplicates: 5 });
        expect(await store.countTelemetry("r740-01")).toBe(5);
      });

      it("counts exactly in a batch that mixes stored, new and repeated messages", async () => {
        await store.appendTelemetry([telemetry("r740-01", 0), telemetry("r740-01", 1)]);
        const mixed = [
          telemetry("r740-01", 1),
          telemetry("r740-01", 2),
          telemetry("r740-01", 2),
          telemetry("r740-01", 1, { boot: BOOT_B }),
          telemetry("r740-02", 1),
        ];
        expect(await store.appendTelemetry(mixed)).toEqual({ inserted: 3, duplicates: 2 });
        expect(await store.countTelemetry()).toBe(5);
        expect(await store.countTelemetry("r740-01")).toBe(4);
        expect(await store.countTelemetry("nobody")).toBe(0);
      });

      it("knows a message by (host, boot, seq) alone: a later copy with another ts or body is a duplicate", async () => {
        await store.appendTelemetry([telemetry("r740-01", 4)]);
        expect(await store.appendTelemetry([telemetry("r740-01", 4, { ts: T0 + 90_000, outputs: { fanPct: 99 } })])).toEqual({ inserted: 0, duplicates: 1 });
        expect(await store.telemetryRange("r740-01", 0, Number.MAX_SAFE_INTEGER)).toEqual([telemetry("r740-01", 4)]);
      });

      it("accepts an empty batch", async () => {
        expect(await store.appendTelemetry([])).toEqual({ inserted: 0, duplicates: 0 });
      });

      it("returns a range ordered by ts, from inclusive, to exclusive, messages as they were sent", async () => {
        const msgs = [5, 1, 3, 2, 4].map((s) => telemetry("r740-01", s));
        msgs[1] = telemetry("r740-01", 1, { cmdSeq: 17, outputs: { fanPct: 55.5, pumpPct: 30 }, mode: "remote", dropped: 2 });
        await store.appendTelemetry([...msgs, telemetry("r740-02", 3)]);
        const range = await store.telemetryRange("r740-01", T0 + 2_000, T0 + 5_000);
        expect(range.map((t) => t.seq)).toEqual([2, 3, 4]);
        expect(range[0]).toEqual(telemetry("r740-01", 2));
        expect(await store.telemetryRange("r740-01", T0 + 1_000, T0 + 1_001)).toEqual([msgs[1]]);
      });

      it("keeps a message's tiers, alarms and historical mark", async () => {
        const full = telemetry("r750-01", 7, {
          tiers: { fans: "monitor", pump: "full" },
          alarms: [{ kind: "leak", source: "cdu:tray_leak", sinceMs: T0 + 3_000 }],
          historical: true,
        });
        await store.appendTelemetry([full, telemetry("r750-01", 8)]);
        expect(await store.telemetryRange("r750-01", T0, T0 + 10_000)).toEqual([full, telemetry("r750-01", 8)]);
      });

      it("orders by agent timestamp, not by seq or arrival", async () => {
        await store.appendTelemetry([telemetry("r740-01", 1, { ts: T0 + 9_000 }), telemetry("r740-01", 2, { ts: T0 + 1_000 })]);
        expect((await store.telemetryRange("r740-01", T0, T0 + 10_000)).map((t) => t.seq)).toEqual([2, 1]);
      });

      it("honours the limit, keeping the oldest", async () => {
        await store.appendTelemetry([0, 1, 2, 3].map((s) => telemetry("r740-01", s)));
        expect((await store.telemetryRange("r740-01", T0, T0 + 60_000, 2)).map((t) => t.seq)).toEqual([0, 1]);
      });
    });

    describe("features", () => {
      it("are stored apart from raw telemetry and read back whole", async () => {
        const windows = [features("r740-01", T0 + 10_000), features("r740-01", T0, { modes: ["local", "failsafe"], driveMarginC: -3 })];
        await store.appendFeatures(windows);
        expect(await store.countTelemetry()).toBe(0);
        expect(await store.telemetryRange("r740-01", 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
        expect(await store.featuresRange("r740-01", T0, T0 + 20_000)).toEqual([windows[1], windows[0]]);
        expect(await store.featuresRange("r740-01", T0 + 1, T0 + 20_000)).toEqual([windows[0]]);
      });

      it("replace a window stored before for the same host and start", async () => {
        await store.appendFeatures([features("r740-01", T0)]);
        await store.appendFeatures([features("r740-01", T0, { samples: 9, cpuMaxC: 80 })]);
        expect(await store.featuresRange("r740-01", 0, Number.MAX_SAFE_INTEGER)).toEqual([features("r740-01", T0, { samples: 9, cpuMaxC: 80 })]);
      });

      it("do not appear in raw telemetry counts, and raw telemetry does not appear in features", async () => {
        await store.appendTelemetry([telemetry("r740-01", 0)]);
        expect(await store.featuresRange("r740-01", 0, Number.MAX_SAFE_INTEGER)).toEqual([]);
      });
    });

    describe("commands and acks", () => {
      it("matches an ack to its command by (host, cmdId) and stores the latency", async () => {
        await store.recordCommand(command("r740-01", "c-1", 1), T0 + 100);
        expect(await store.recordAck(ack("r740-01", "c-1"), T0 + 220)).toEqual({ outcome: "first", latencyMs: 120 });
      });

      it("keeps the first ack: a later one for the same command is a repeat", async () => {
        await store.recordCommand(command("r740-01", "c-1", 1), T0);
        await store.recordAck(ack("r740-01", "c-1", "applied"), T0 + 50);
        expect(await store.recordAck(ack("r740-01", "c-1", "rejected"), T0 + 90)).toEqual({ outcome: "repeat", latencyMs: undefined });
        const stats = await store.commandStats();
        expect(stats.acked.applied).toBe(1);
        expect(stats.acked.rejected).toBe(0);
        expect(stats.p50LatencyMs).toBe(50);
      });

      it("does not match an ack from another host or for an unknown id", async () => {
        await store.recordCommand(command("r740-01", "c-1", 1), T0);
        expect(await store.recordAck(ack("r740-02", "c-1"), T0 + 10)).toEqual({ outcome: "unknown", latencyMs: undefined });
        expect(await store.recordAck(ack("r740-01", "c-2"), T0 + 10)).toEqual({ outcome: "unknown", latencyMs: undefined });
        expect(await store.commandStats()).toMatchObject({ sent: 1, unacked: 1, unknownAcks: 2 });
      });

      it("matches an ack that arrived before its command was recorded", async () => {
        await store.recordAck(ack("r740-01", "c-9", "expired"), T0 + 500);
        await store.recordCommand(command("r740-01", "c-9", 9), T0 + 200);
        expect(await store.commandStats()).toMatchObject({ sent: 1, unacked: 0, unknownAcks: 0, p50LatencyMs: 300 });
        expect((await store.commandStats()).acked.expired).toBe(1);
        expect(await store.recordAck(ack("r740-01", "c-9"), T0 + 600)).toEqual({ outcome: "repeat", latencyMs: undefined });
      });

      it("keeps the first send of a command recorded twice", async () => {
        await store.recordCommand(command("r740-01", "c-1", 1), T0);
        await store.recordCommand(command("r740-01", "c-1", 1), T0 + 1_000);
        expect(await store.recordAck(ack("r740-01", "c-1"), T0 + 1_100)).toEqual({ outcome: "first", latencyMs: 1_100 });
        expect((await store.commandStats()).sent).toBe(1);
      });

      it("reports sent, acked by status and nearest-rank p50/p99 latencies", async () => {
        const statuses: Ack["status"][] = ["applied", "applied", "applied", "expired", "applied", "superseded", "applied", "applied", "rejected", "applied"];
        for (let i = 0; i < 10; i++) {
          await store.recordCommand(command("r740-01", `c-${i}`, i), T0 + i * 1_000);
          // latencies 100, 90, …, 10 ms: recorded out of order so the percentile must sort
          await store.recordAck(ack("r740-01", `c-${i}`, statuses[i]), T0 + i * 1_000 + (10 - i) * 10);
        }
        await store.recordCommand(command("r740-01", "c-10", 10), T0 + 10_000);
        expect(await store.commandStats()).toEqual({
          sent: 11,
          acked: { applied: 7, rejected: 1, expired: 1, superseded: 1 },
          unacked: 1,
          unknownAcks: 0,
          p50LatencyMs: 50,
          p99LatencyMs: 100,
        });
        const recent = await store.commandStats(T0 + 8_000);
        expect(recent).toMatchObject({ sent: 3, unacked: 1, p50LatencyMs: 10, p99LatencyMs: 20 });
      });

      it("retention deletes commands sent and acks received before the cut; stats from the cut on are unchanged", async () => {
        await store.recordCommand(command("r740-01", "c-old", 1), T0);
        await store.recordAck(ack("r740-01", "c-old"), T0 + 100);
        await store.recordAck(ack("r740-09", "c-unknown"), T0 + 50);
        await store.recordCommand(command("r740-01", "c-new", 2), T0 + 10_000);
        await store.recordAck(ack("r740-01", "c-new"), T0 + 10_050);
        await store.recordAck(ack("r740-09", "c-unknown-2"), T0 + 10_100);
        const fromCut = await store.commandStats(T0 + 5_000);
        expect(await store.deleteCommandsBefore(T0 + 5_000)).toBe(3);
        expect(await store.commandStats(T0 + 5_000)).toEqual(fromCut);
        expect(await store.commandStats()).toMatchObject({ sent: 1, unacked: 0, unknownAcks: 1, p50LatencyMs: 50 });
        expect(await store.recordAck(ack("r740-01", "c-new"), T0 + 10_200)).toEqual({ outcome: "repeat", latencyMs: undefined });
        expect(await store.deleteCommandsBefore(T0 + 5_000)).toBe(0);
      });

      it("reports no latency before any ack", async () => {
        expect(await store.commandStats()).toEqual({
          sent: 0,
          acked: { applied: 0, rejected: 0, expired: 0, superseded: 0 },
          unacked: 0,
          unknownAcks: 0,
          p50LatencyMs: undefined,
          p99LatencyMs: undefined,
        });
      });
    });

    describe("state transitions", () => {
      it("retention deletes transitions before the cut and keeps each host's current state", async () => {
        await store.upsertHost(birth("r740-01"));
        await store.recordTransition({ hostId: "r740-01", from: null, to: "Setup", cause: "birth", atMs: T0 });
        await store.recordTransition({ hostId: "r740-01", from: "Setup", to: "Running", cause: "calibrated", atMs: T0 + 5_000 });
        await store.recordTransition({ hostId: "r740-01", from: "Running", to: "Cooling", cause: "hot", atMs: T0 + 9_000 });
        expect(await store.deleteTransitionsBefore(T0 + 9_000)).toBe(2);
        expect((await store.transitions("r740-01")).map((t) => t.to)).toEqual(["Cooling"]);
        expect((await store.getHost("r740-01"))?.state).toBe("Cooling");
      });

      it("are kept in order and move the host's current state", async () => {
        await store.upsertHost(birth("r740-01"));
        await store.recordTransition({ hostId: "r740-01", from: null, to: "Setup", cause: "birth", atMs: T0 });
        await store.recordTransition({ hostId: "r740-01", from: "Setup", to: "Running", cause: "calibrated", atMs: T0 + 5_000 });
        await store.recordTransition({ hostId: "r740-01", from: "Running", to: "Cooling", cause: "cpu margin > 0", atMs: T0 + 9_000 });
        await store.recordTransition({ hostId: "r740-02", from: "Setup", to: "Error", cause: "sensor", atMs: T0 + 1_000 });
        expect((await store.getHost("r740-01"))?.state).toBe("Cooling");
        expect((await store.getHost("r740-02"))?.state).toBe("Error");
        expect((await store.transitions("r740-01")).map((t) => t.to)).toEqual(["Setup", "Running", "Cooling"]);
        expect(await store.transitions("r740-01", T0 + 5_000, T0 + 9_000)).toEqual([
          { hostId: "r740-01", from: "Setup", to: "Running", cause: "calibrated", atMs: T0 + 5_000 },
        ]);
      });
    });

    describe("roll-up and retention", () => {
      const MINUTE_MS = 60_000;

      /** 130 s of one host with a manifest (two full minutes and a part), 3 messages of one without. */
      async function loadKnownDataSet(): Promise<void> {
        await store.upsertHost(birth("r740-01"));
        const batch: Telemetry[] = [];
        for (let s = 0; s < 130; s++) {
          batch.push(
            telemetry("r740-01", s, {
              mode: s === 5 || s === 6 ? "failsafe" : s === 70 ? "override" : "local",
              outputs: s >= 60 ? { fanPct: 30 + (s % 4) * 10, pumpPct: 50 } : { fanPct: 30 + (s % 4) * 10 },
              readings: [
                reading("cpu0", "temperature", 60 + (s % 10)),
                // untrusted, and hotter than anything: must not count
                reading("cpu1", "temperature", s % 20 === 0 ? 99 : 55, s % 20 === 0 ? "stale" : "ok"),
                reading("nvme0", "temperature", 40 + (s % 2)),
                // hotter than the CPUs, but the manifest says it is the inlet
                reading("inlet", "temperature", 90),
                reading("psu", "power", 300 + (s % 2) * 10),
                reading("cpu-pkg", "power", 120),
                reading("cpu:util", "load", s % 60),
              ],
            }),
          );
        }
        for (let s = 0; s < 3; s++) batch.push(telemetry("mac-01", s, { outputs: { fanPct: 20 + s } }));
        await store.appendTelemetry(batch);
      }

      it("summarises each host per minute with the right numbers", async () => {
        await loadKnownDataSet();
        expect(await store.rollUp(MINUTE_MS, T0 + 150_000)).toEqual({ buckets: 3, samples: 123, doneBeforeMs: T0 + 120_000 });
        const [m0, m1, ...rest] = await store.rollupRange("r740-01", MINUTE_MS, 0, Number.MAX_SAFE_INTEGER);
        expect(rest).toEqual([]);
        expect(m0).toEqual({
          hostId: "r740-01",
          bucketMs: MINUTE_MS,
          bucketStartMs: T0,
          samples: 60,
          cpuMaxCMin: 60,
          cpuMaxCMax: 69,
          cpuMaxCMean: 64.5,
          driveMaxCMax: 41,
          fanPctMean: 45,
          fanPctMax: 60,
          pumpPctMean: null,
          powerWMean: 305,
          cpuUtilPctMean: 29.5,
          failsafeSamples: 2,
          overrideSamples: 0,
        });
        expect(m1).toMatchObject({ bucketStartMs: T0 + MINUTE_MS, samples: 60, cpuMaxCMean: 64.5, pumpPctMean: 50, failsafeSamples: 0, overrideSamples: 1 });
        expect(await store.rollupRange("mac-01", MINUTE_MS, 0, Number.MAX_SAFE_INTEGER)).toEqual([
          expect.objectContaining({ samples: 3, cpuMaxCMin: null, cpuMaxCMean: null, fanPctMean: 21, fanPctMax: 22, powerWMean: null }),
        ]);
      });

      it("rolls each bucket up once and continues where it stopped", async () => {
        await loadKnownDataSet();
        await store.rollUp(MINUTE_MS, T0 + 150_000);
        expect(await store.rollUp(MINUTE_MS, T0 + 150_000)).toEqual({ buckets: 0, samples: 0, doneBeforeMs: T0 + 120_000 });
        expect(await store.rollUp(MINUTE_MS, T0 + 180_000)).toEqual({ buckets: 1, samples: 10, doneBeforeMs: T0 + 180_000 });
        const buckets = await store.rollupRange("r740-01", MINUTE_MS, 0, Number.MAX_SAFE_INTEGER);
        expect(buckets.map((b) => [b.bucketStartMs - T0, b.samples])).toEqual([[0, 60], [60_000, 60], [120_000, 10]]);
      });

      it("keeps bucket sizes apart", async () => {
        await loadKnownDataSet();
        await store.rollUp(MINUTE_MS, T0 + 180_000);
        expect(await store.rollUp(2 * MINUTE_MS, T0 + 180_000)).toMatchObject({ buckets: 2, samples: 123 });
        expect((await store.rollupRange("r740-01", 2 * MINUTE_MS, 0, Number.MAX_SAFE_INTEGER)).map((b) => b.samples)).toEqual([120]);
      });

      it("deletes only raw telemetry older than the cut, and leaves roll-ups and features", async () => {
        await loadKnownDataSet();
        await store.rollUp(MINUTE_MS, T0 + 180_000);
        await store.appendFeatures([features("r740-01", T0)]);
        expect(await store.deleteRawBefore(T0 + 60_000)).toBe(63);
        expect(await store.countTelemetry()).toBe(70);
        expect((await store.telemetryRange("r740-01", 0, Number.MAX_SAFE_INTEGER, 1))[0]?.ts).toBe(T0 + 60_000);
        expect(await store.rollupRange("r740-01", MINUTE_MS, 0, Number.MAX_SAFE_INTEGER)).toHaveLength(3);
        expect(await store.featuresRange("r740-01", 0, Number.MAX_SAFE_INTEGER)).toHaveLength(1);
        expect(await store.deleteRawBefore(T0 + 60_000)).toBe(0);
      });

      describe("roll-up retention", () => {
        /** Two hosts, a message every 10 s for six minutes, rolled up into one- and two-minute buckets (T0 is a whole even minute). */
        async function rolledUpTwoSizes(): Promise<void> {
          for (const host of ["r740-01", "r740-02"]) {
            await store.upsertHost(birth(host));
            await store.appendTelemetry(Array.from({ length: 36 }, (_, s) => telemetry(host, s, { ts: T0 + s * 10_000 })));
          }
          expect(await store.rollUp(MINUTE_MS, T0 + 6 * MINUTE_MS)).toMatchObject({ buckets: 12, samples: 72 });
          expect(await store.rollUp(2 * MINUTE_MS, T0 + 6 * MINUTE_MS)).toMatchObject({ buckets: 6, samples: 72 });
        }
        const starts = async (host: string, bucketMs: number): Promise<number[]> =>
          (await store.rollupRange(host, bucketMs, 0, Number.MAX_SAFE_INTEGER)).map((b) => (b.bucketStartMs - T0) / MINUTE_MS);

        it("deletes buckets of every size that ended at or before the cut, on every host, and counts them", async () => {
          await rolledUpTwoSizes();
          expect(await store.deleteRollupsBefore(T0)).toBe(0);
          // Cut at minute 3: one-minute buckets 0, 1, 2 ended by then; of the two-minute ones only [0, 2): [2, 4) started
          // before the cut but ends after it.
          expect(await store.deleteRollupsBefore(T0 + 3 * MINUTE_MS)).toBe(8);
          for (const host of ["r740-01", "r740-02"]) {
            expect(await starts(host, MINUTE_MS)).toEqual([3, 4, 5]);
            expect(await starts(host, 2 * MINUTE_MS)).toEqual([2, 4]);
          }
          expect(await store.deleteRollupsBefore(T0 + 3 * MINUTE_MS)).toBe(0);
          // A bucket that ends exactly at the cut goes; one ending a millisecond after it stays.
          expect(await store.deleteRollupsBefore(T0 + 4 * MINUTE_MS - 1)).toBe(0);
          expect(await store.deleteRollupsBefore(T0 + 4 * MINUTE_MS)).toBe(4);
          for (const host of ["r740-01", "r740-02"]) {
            expect(await starts(host, MINUTE_MS)).toEqual([4, 5]);
            expect(await starts(host, 2 * MINUTE_MS)).toEqual([4]);
          }
          // What is left reads back whole; raw telemetry is untouched.
          expect(await store.rollupRange("r740-02", MINUTE_MS, T0 + 4 * MINUTE_MS, T0 + 5 * MINUTE_MS)).toEqual([
            expect.objectContaining({ hostId: "r740-02", bucketMs: MINUTE_MS, bucketStartMs: T0 + 4 * MINUTE_MS, samples: 6, fanPctMean: 40 }),
          ]);
          expect(await store.countTelemetry()).toBe(72);
          expect(await store.deleteRollupsBefore(Number.MAX_SAFE_INTEGER)).toBe(6);
          expect(await starts("r740-01", MINUTE_MS)).toEqual([]);
        });

        it("leaves the roll-up progress: a later roll-up does not compute a deleted bucket again", async () => {
          await rolledUpTwoSizes();
          expect(await store.deleteRollupsBefore(T0 + 4 * MINUTE_MS)).toBe(12);
          // The raw telemetry of the deleted buckets is still stored here, and a minute more arrives.
          await store.appendTelemetry(Array.from({ length: 6 }, (_, i) => telemetry("r740-01", 36 + i, { ts: T0 + 6 * MINUTE_MS + i * 10_000 })));
          expect(await store.rollUp(MINUTE_MS, T0 + 8 * MINUTE_MS)).toEqual({ buckets: 1, samples: 6, doneBeforeMs: T0 + 8 * MINUTE_MS });
          expect(await store.rollUp(2 * MINUTE_MS, T0 + 8 * MINUTE_MS)).toEqual({ buckets: 1, samples: 6, doneBeforeMs: T0 + 8 * MINUTE_MS });
          expect(await starts("r740-01", MINUTE_MS)).toEqual([4, 5, 6]);
          expect(await starts("r740-01", 2 * MINUTE_MS)).toEqual([4, 6]);
          expect(await starts("r740-02", MINUTE_MS)).toEqual([4, 5]);
          expect(await store.countTelemetry()).toBe(78);
        });
      });

      it("deletes feature windows that ended at or before the cut, and no raw telemetry", async () => {
        await store.appendTelemetry([telemetry("r740-01", 0)]);
        await store.appendFeatures([0, 10_000, 20_000].map((offsetMs) => features("r740-01", T0 + offsetMs)));
        expect(await store.deleteFeaturesBefore(T0 + 20_000)).toBe(2);
        expect((await store.featuresRange("r740-01", 0, Number.MAX_SAFE_INTEGER)).map((f) => f.windowStartMs)).toEqual([T0 + 20_000]);
        expect(await store.countTelemetry()).toBe(1);
      });
    });
  });
}

// ---- fixtures, shared with the ingest tests ----

/** A whole UTC minute, so roll-up buckets start where the tests expect. */
export const T0 = 1_700_000_040_000;
export const BOOT_A = "boot-aaaa-0001";
export const BOOT_B = "boot-bbbb-0002";

export function birth(host: string, boot = BOOT_A, ts = T0): HostBirth {
  return {
    v: 1,
    host,
    boot,
    online: true,
    ts,
    agentVersion: "0.1.0",
    periodMs: 1000,
    sensors: [
      { id: "cpu0", kind: "temperature", unit: "C", role: "cpu", targetC: 85, criticalC: 95, required: true },
      { id: "cpu1", kind: "temperature", unit: "C", role: "cpu", targetC: 85, criticalC: 95 },
      { id: "nvme0", kind: "temperature", unit: "C", role: "drive", targetC: 60, criticalC: 70 },
      { id: "inlet", kind: "temperature", unit: "C", role: "inlet" },
      { id: "fan1", kind: "fan", unit: "rpm" },
    ],
    capabilities: { fans: { channels: 6, tier: "full", minPct: 20, maxPct: 100 }, maxLeaseMs: 30_000 },
  };
}

export function offline(host: string, boot = BOOT_A, ts = T0, reason: "lost" | "shutdown" = "lost"): HostState {
  return { v: 1, host, boot, online: false, ts, reason };
}

const UNIT_OF: Record<Reading["kind"], Reading["unit"]> = {
  temperature: "C",
  fan: "rpm",
  pwm: "pct",
  load: "pct",
  disk: "MBps",
  flow: "Lpm",
  pump: "rpm",
  power: "W",
};

export function reading(id: string, kind: Reading["kind"], value: number | null, quality: Reading["quality"] = "ok"): Reading {
  return { id, kind, value, unit: UNIT_OF[kind], quality };
}

/** Telemetry of boot A, seq s sent at T0 + s seconds. */
export function telemetry(host: string, seq: number, over: Partial<Telemetry> = {}): Telemetry {
  return {
    v: 1,
    host,
    boot: BOOT_A,
    seq,
    ts: T0 + seq * 1000,
    periodMs: 1000,
    mode: "local",
    outputs: { fanPct: 40 },
    dropped: 0,
    readings: [reading("cpu0", "temperature", 60), reading("fan1", "fan", 7000)],
    ...over,
  };
}

export function features(host: string, windowStartMs: number, over: Partial<HostFeatures> = {}): HostFeatures {
  return {
    hostId: host,
    windowStartMs,
    windowEndMs: windowStartMs + 10_000,
    samples: 10,
    cpuMarginC: -12.5,
    driveMarginC: null,
    cpuMaxC: 72.5,
    driveMaxC: null,
    inletC: 24,
    cpuUtilMeanPct: 55,
    cpuUtilSlopePctPerMin: 1.5,
    diskMBpsMean: 12,
    fanPctMean: 41,
    pumpPctMean: null,
    powerWMean: 310,
    badRequiredReadings: 0,
    modes: ["local"],
    ...over,
  };
}

export function command(host: string, id: string, seq: number, issuedAt = T0): Command {
  return { v: 1, id, host, seq, issuedAt, expiresAt: issuedAt + 15_000, setpoints: { fanPct: 42 } };
}

export function ack(host: string, cmdId: string, status: Ack["status"] = "applied", seq = 1): Ack {
  return { v: 1, host, boot: BOOT_A, cmdId, seq, status, ts: T0 };
}
