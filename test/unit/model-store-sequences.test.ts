import { describe, expect, it } from "vitest";
import { sequencesFromStore, spreadHosts } from "../../src/controller/model/store-sequences.js";
import { buildDataset } from "../../src/controller/model/dataset.js";
import { SqliteTelemetryStore } from "../../src/controller/store/sqlite-telemetry-store.js";
import { birth, reading, telemetry } from "../contract/store-contract.js";
import { storeAirFleet } from "../helpers/stored-fleet.js";

describe("training data from a controller store", () => {
  it("reads each host's telemetry as consecutive periods, splits at gaps, and splits 70/10/20 in time", async () => {
    const store = new SqliteTelemetryStore(":memory:");
    try {
      // The controller's host view carries the temperatures a birth gives limits; the model needs the inlet among them.
      const b = birth("r740-01");
      await store.upsertHost({ ...b, sensors: b.sensors.map((x) => (x.id === "inlet" ? { ...x, targetC: 35, criticalC: 45 } : x)) });
      // 600 periods, a 30 s gap, then 300 more.
      const seqs = [...Array.from({ length: 600 }, (_, s) => s), ...Array.from({ length: 300 }, (_, s) => 630 + s)];
      await store.appendTelemetry(
        seqs.map((s) =>
          telemetry("r740-01", s, {
            outputs: { fanPct: 30 + (s % 50) },
            readings: [reading("cpu0", "temperature", 60 + (s % 7)), reading("inlet", "temperature", 25), reading("cpu:util", "load", 40)],
          }),
        ),
      );
      const split = await sequencesFromStore(store, "store:test");
      expect(split.periodMs).toBe(1000);
      expect(split.train.map((s) => s.samples.length)).toEqual([420, 210]);
      expect(split.validation.map((s) => s.samples.length)).toEqual([60, 30]);
      expect(split.heldOut.map((s) => s.samples.length)).toEqual([120, 60]);
      const first = split.train[0]?.samples[0];
      expect(first?.cpuC).toBe(60);
      expect(first?.inletC).toBe(25);
      expect(first?.utilPct).toBe(40);
      expect(first?.fanPct).toBe(30);
      // Each training part gives a row per period with 61 periods of history and 61 of future behind and ahead of it.
      expect(buildDataset(split.train, { stride: 1 }).size).toBe(420 - 60 - 62 + 1 + (210 - 60 - 62 + 1));
    } finally {
      await store.close();
    }
  });

  it("reads one kind of cooling at a time: a host with a commandable pump is liquid-cooled, the coolant comes along", async () => {
    const store = new SqliteTelemetryStore(":memory:");
    try {
      const air = birth("r740-01");
      const withLimits = (b: typeof air) => b.sensors.map((x) => (x.id === "inlet" ? { ...x, targetC: 35, criticalC: 45 } : x));
      await store.upsertHost({ ...air, sensors: withLimits(air) });
      const liquid = birth("r750-01");
      await store.upsertHost({
        ...liquid,
        sensors: [...withLimits(liquid), { id: "coolant", kind: "temperature", unit: "C", role: "coolant", targetC: 45, criticalC: 55 }],
        capabilities: { ...liquid.capabilities, pump: { channels: 1, tier: "full", minPct: 30, maxPct: 100 } },
      });
      for (const host of ["r740-01", "r750-01"]) {
        await store.appendTelemetry(
          Array.from({ length: 200 }, (_, s) =>
            telemetry(host, s, {
              outputs: host === "r750-01" ? { fanPct: 30, pumpPct: 40 + (s % 20) } : { fanPct: 30 },
              readings: [reading("cpu0", "temperature", 60), reading("inlet", "temperature", 25), reading("cpu:util", "load", 40), ...(host === "r750-01" ? [reading("coolant", "temperature", 38)] : [])],
            }),
          ),
        );
      }
      const airSplit = await sequencesFromStore(store, "store:test", "air");
      const liquidSplit = await sequencesFromStore(store, "store:test", "liquid");
      expect(airSplit.train.map((s) => s.hostId)).toEqual(["r740-01#0"]);
      expect(liquidSplit.train.map((s) => s.hostId)).toEqual(["r750-01#0"]);
      const first = liquidSplit.train[0]?.samples[0];
      expect(first?.coolantC).toBe(38);
      expect(first?.pumpPct).toBe(40);
      expect(airSplit.train[0]?.samples[0]?.coolantC).toBeNaN();
    } finally {
      await store.close();
    }
  });
});

describe("reading a part of a large store", () => {
  it("spreads a sample of hosts evenly over the id order, the same every time, and takes all when there are few", () => {
    const ids = Array.from({ length: 10 }, (_, i) => `h${i}`);
    expect(spreadHosts(ids, 4)).toEqual(["h0", "h2", "h5", "h7"]);
    expect(spreadHosts(ids, 4)).toEqual(spreadHosts(ids, 4));
    expect(spreadHosts(ids, 10)).toEqual(ids);
    expect(spreadHosts(ids.slice(0, 3), 50)).toEqual(["h0", "h1", "h2"]);
    expect(spreadHosts(ids, undefined)).toEqual(ids);
  });

  it("reads only maxHosts hosts of the kind, in id order, and only telemetry since sinceMs", async () => {
    const store = new SqliteTelemetryStore(":memory:");
    try {
      const endMs = 1_800_000_000_000;
      await storeAirFleet(store, ["c", "a", "b"], 400, endMs);
      const all = await sequencesFromStore(store, "store:test");
      expect(all.train.map((s) => s.hostId)).toEqual(["a#0", "b#0", "c#0"]);
      expect(all.hostsRead).toBe(3);
      const two = await sequencesFromStore(store, "store:test", "air", { maxHosts: 2 });
      expect(two.train.map((s) => s.hostId)).toEqual(["a#0", "b#0"]);
      expect([two.hostsRead, two.hostsOfKind]).toEqual([2, 3]);
      // The last 100 s of 400: 100 samples per host, the newest ones.
      const recent = await sequencesFromStore(store, "store:test", "air", { sinceMs: endMs - 99_500 });
      const samples = (h: number): number => (recent.train[h]?.samples.length ?? 0) + (recent.validation[h]?.samples.length ?? 0) + (recent.heldOut[h]?.samples.length ?? 0);
      expect([samples(0), samples(1), samples(2)]).toEqual([100, 100, 100]);
      expect(recent.heldOut[0]?.samples.at(-1)).toEqual(all.heldOut[0]?.samples.at(-1));
      // No liquid-cooled host: nothing read.
      expect((await sequencesFromStore(store, "store:test", "liquid", { maxHosts: 2 })).hostsOfKind).toBe(0);
    } finally {
      await store.close();
    }
  });
});
