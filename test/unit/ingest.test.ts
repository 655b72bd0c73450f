import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { REJECT_REASONS, type RejectReason } from "../../src/controller/ingest/reject-reason.js";
import { TelemetryIngest, type IngestOptions, type IngestStore } from "../../src/controller/ingest/telemetry-ingest.js";
import { SqliteTelemetryStore } from "../../src/controller/store/sqlite-telemetry-store.js";
import type { AppendResult } from "../../src/controller/store/telemetry-store.js";
import { ManualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { encode, type Ack, type HostState, type Telemetry } from "../../src/protocol/index.js";
import { ack, birth, BOOT_A, BOOT_B, command, offline, T0, telemetry } from "../contract/store-contract.js";

const HOST = "r740-01";
const topic = (kind: string, host = HOST): string => `coolfleet/v1/${host}/${kind}`;
const payload = (message: Telemetry | HostState | Ack): Buffer => Buffer.from(encode(message));
/**
 * Lets drains started by a timer or a full batch run to completion: the store here is synchronous, and a drain
 * yields one event-loop turn between batches, so a few turns are enough. No time passes on the clock.
 */
async function settled(turns = 10): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A store whose writes can be made to fail: the failure a network store, or a full disk, would show. */
class FlakyStore implements IngestStore {
  failAppends = 0;
  failWrites = 0;
  readonly appendCalls: number[] = [];

  constructor(readonly inner: SqliteTelemetryStore) {}

  appendTelemetry(batch: readonly Telemetry[]): Promise<AppendResult> {
    this.appendCalls.push(batch.length);
    if (this.failAppends > 0) {
      this.failAppends--;
      return Promise.reject(new Error("disk I/O error (injected)"));
    }
    return this.inner.appendTelemetry(batch);
  }

  upsertHost(state: HostState): ReturnType<IngestStore["upsertHost"]> {
    if (this.failWrites > 0) {
      this.failWrites--;
      return Promise.reject(new Error("database is locked (injected)"));
    }
    return this.inner.upsertHost(state);
  }

  recordAck(a: Ack, receivedAtMs: number): ReturnType<IngestStore["recordAck"]> {
    return this.inner.recordAck(a, receivedAtMs);
  }
}

describe("TelemetryIngest", () => {
  let clock: ManualClock;
  let sqlite: SqliteTelemetryStore;
  let store: FlakyStore;
  let ingest: TelemetryIngest;
  let seen: { telemetry: Telemetry[]; states: HostState[]; acks: Array<[Ack, number | undefined]> };

  function start(options: Partial<IngestOptions> = {}): void {
    ingest = new TelemetryIngest({ store, clock, logger: silentLogger() }, { flushMs: 1_000, maxBatch: 500, retryMs: 200, ...options });
    seen = { telemetry: [], states: [], acks: [] };
    ingest.onTelemetry((t) => seen.telemetry.push(t));
    ingest.onHostState((s) => seen.states.push(s));
    ingest.onAck((a, latencyMs) => seen.acks.push([a, latencyMs]));
  }

  beforeEach(() => {
    clock = new ManualClock(T0);
    sqlite = new SqliteTelemetryStore(":memory:");
    store = new FlakyStore(sqlite);
    start();
  });

  afterEach(async () => {
    await sqlite.close();
  });

  describe("rejects bad messages, counting each by reason, without throwing", () => {
    const good = telemetry(HOST, 1);
    const cases: Array<[string, string, Buffer | string, RejectReason]> = [
      ["a foreign topic", "sensors/r740-01/temp", payload(good), "bad_topic"],
      ["another protocol version's topic", "coolfleet/v2/r740-01/telemetry", payload(good), "bad_topic"],
      ["a host id that cannot be a topic level", "coolfleet/v1/-bad/telemetry", payload(good), "bad_topic"],
      ["a topic with an extra level", "coolfleet/v1/r740-01/telemetry/extra", payload(good), "bad_topic"],
      ["a kind nobody publishes", topic("status"), payload(good), "unknown_kind"],
      ["the controller's own commands", topic("cmd"), encode(command(HOST, "c-1", 1)), "unknown_kind"],
      ["truncated JSON", topic("telemetry"), encode(good).slice(0, 40), "bad_json"],
      ["an empty payload", topic("telemetry"), Buffer.alloc(0), "bad_json"],
      ["binary garbage", topic("state"), Buffer.from([0xff, 0x00, 0x13]), "bad_json"],
      ["a payload over 64 KiB", topic("telemetry"), Buffer.alloc(70_000, 0x20), "too_large"],
      ["an unknown protocol version", topic("telemetry"), JSON.stringify({ ...good, v: 2 }), "schema"],
      ["telemetry without seq", topic("telemetry"), JSON.stringify({ ...good, seq: undefined }), "schema"],
      ["a negative fan percentage", topic("telemetry"), JSON.stringify({ ...good, outputs: { fanPct: -1 } }), "schema"],
      ["a JSON array", topic("telemetry"), "[]", "schema"],
      ["telemetry on the state topic", topic("state"), payload(good), "schema"],
      ["an ack with an unknown status", topic("ack"), JSON.stringify({ ...ack(HOST, "c-1"), status: "done" }), "schema"],
      ["telemetry of another host", topic("telemetry"), payload(telemetry("r740-02", 1)), "host_mismatch"],
      ["a birth of another host", topic("state"), payload(birth("r740-02")), "host_mismatch"],
      ["an ack of another host", topic("ack"), payload(ack("r740-02", "c-1")), "host_mismatch"],
    ];

    it.each(cases)("%s → %s", async (_label, t, p, reason) => {
      expect(() => ingest.handle(t, p)).not.toThrow();
      await ingest.flush();
      const stats = ingest.stats();
      for (const r of REJECT_REASONS) expect(stats.rejected[r], r).toBe(r === reason ? 1 : 0);
      expect(stats).toMatchObject({ accepted: 0, stored: 0, pending: 0, pendingWrites: 0 });
      expect(seen).toEqual({ telemetry: [], states: [], acks: [] });
      expect(await sqlite.listHosts()).toEqual([]);
    });
  });

  it("accepts telemetry, tells listeners at once and stores it on flush", async () => {
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 1)));
    ingest.handle(topic("telemetry"), encode(telemetry(HOST, 2)));
    expect(seen.telemetry.map((t) => t.seq)).toEqual([1, 2]);
    expect(ingest.stats()).toMatchObject({ accepted: 2, stored: 0, pending: 2 });
    await ingest.flush();
    expect(ingest.stats()).toMatchObject({ accepted: 2, stored: 2, pending: 0, duplicates: 0 });
    expect(await sqlite.telemetryRange(HOST, T0, T0 + 10_000)).toEqual([telemetry(HOST, 1), telemetry(HOST, 2)]);
  });

  it("counts QoS 1 redelivery as duplicates and stores each message once", async () => {
    const message = payload(telemetry(HOST, 7));
    ingest.handle(topic("telemetry"), message);
    ingest.handle(topic("telemetry"), message);
    await ingest.flush();
    ingest.handle(topic("telemetry"), message); // after the flush: still in the window
    await ingest.flush();
    expect(ingest.stats()).toMatchObject({ accepted: 1, duplicates: 2, stored: 1, pending: 0 });
    expect(store.appendCalls).toEqual([1]);
    expect(seen.telemetry).toHaveLength(1);
    expect(await sqlite.countTelemetry()).toBe(1);
  });

  it("treats the same seq of another boot as a new message", async () => {
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 7)));
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 7, { boot: BOOT_B })));
    await ingest.flush();
    expect(ingest.stats()).toMatchObject({ accepted: 2, duplicates: 0, stored: 2 });
  });

  it("counts telemetry a host's sequence numbers show missing, takes off what comes late, and warns once per host", async () => {
    const lines: Array<{ level: number; msg: string; host?: string; missing?: number; fromSeq?: number; toSeq?: number }> = [];
    ingest = new TelemetryIngest({ store, clock, logger: pino({ level: "debug" }, { write: (l: string) => void lines.push(JSON.parse(l) as (typeof lines)[number]) }) });
    for (const seq of [1, 2, 3, 7, 8]) ingest.handle(topic("telemetry"), payload(telemetry(HOST, seq)));
    // A redelivery is a duplicate, not a late arrival; seq 5 comes late; another host is counted on its own.
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 8)));
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 5)));
    for (const seq of [1, 3]) ingest.handle(topic("telemetry", "r740-02"), payload(telemetry("r740-02", seq)));
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 10)));
    await ingest.flush();
    expect(ingest.stats()).toMatchObject({ accepted: 9, duplicates: 1, stored: 9, seqGaps: 5, lateArrivals: 1 });
    const warnings = lines.filter((l) => l.level === 40 && l.msg.startsWith("telemetry missing"));
    expect(warnings.map((w) => [w.host, w.missing, w.fromSeq, w.toSeq])).toEqual([
      [HOST, 3, 4, 6],
      ["r740-02", 1, 2, 2],
    ]);
    expect(lines.filter((l) => l.level === 20 && l.msg === "telemetry missing").map((l) => [l.host, l.fromSeq, l.toSeq])).toEqual([[HOST, 9, 9]]);
  });

  it("lets the store's unique key catch a duplicate that left the dedupe window", async () => {
    start({ dedupeWindow: 2 });
    for (const seq of [1, 2, 3]) ingest.handle(topic("telemetry"), payload(telemetry(HOST, seq)));
    await ingest.flush();
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 1))); // evicted from the window
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 3))); // still in it
    await ingest.flush();
    expect(ingest.stats()).toMatchObject({ accepted: 4, duplicates: 2, stored: 3, pending: 0 });
    expect(await sqlite.countTelemetry()).toBe(3);
  });

  it("flushes as soon as a batch is full, without waiting for the clock", async () => {
    start({ maxBatch: 3 });
    for (const seq of [1, 2]) ingest.handle(topic("telemetry"), payload(telemetry(HOST, seq)));
    await settled();
    expect(store.appendCalls).toEqual([]);
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 3)));
    expect(store.appendCalls).toEqual([3]);
    await settled();
    expect(ingest.stats()).toMatchObject({ stored: 3, pending: 0 });
  });

  it("flushes a partial batch flushMs after the first message waits", async () => {
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 1)));
    clock.advance(500);
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 2)));
    clock.advance(499);
    await settled();
    expect(store.appendCalls).toEqual([]);
    clock.advance(1);
    await settled();
    expect(store.appendCalls).toEqual([2]);
    expect(ingest.stats()).toMatchObject({ stored: 2, pending: 0 });
    // The next message starts a new wait.
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 3)));
    clock.advance(999);
    await settled();
    expect(store.appendCalls).toEqual([2]);
    clock.advance(1);
    await settled();
    expect(store.appendCalls).toEqual([2, 1]);
  });

  it("keeps a batch whose append failed and stores it on the timed retry, with what came meanwhile", async () => {
    store.failAppends = 1;
    for (const seq of [1, 2, 3]) ingest.handle(topic("telemetry"), payload(telemetry(HOST, seq)));
    clock.advance(1_000);
    await settled();
    expect(store.appendCalls).toEqual([3]);
    expect(ingest.stats()).toMatchObject({ accepted: 3, stored: 0, pending: 3, failedWrites: 1 });
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 4)));
    clock.advance(199);
    await settled();
    expect(store.appendCalls).toEqual([3]);
    clock.advance(1);
    await settled();
    expect(store.appendCalls).toEqual([3, 4]);
    expect(ingest.stats()).toMatchObject({ accepted: 4, stored: 4, pending: 0, failedWrites: 1 });
    expect((await sqlite.telemetryRange(HOST, 0, Number.MAX_SAFE_INTEGER)).map((t) => t.seq)).toEqual([1, 2, 3, 4]);
  });

  it("backs off while the store keeps failing, then recovers", async () => {
    store.failAppends = 3;
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 1)));
    clock.advance(1_000); // fails; retry in 200
    await settled();
    clock.advance(200); // fails; retry in 400
    await settled();
    clock.advance(399);
    await settled();
    expect(store.appendCalls).toHaveLength(2);
    clock.advance(1); // fails; retry in 800
    await settled();
    clock.advance(800);
    await settled();
    expect(store.appendCalls).toHaveLength(4);
    expect(ingest.stats()).toMatchObject({ stored: 1, pending: 0, failedWrites: 3 });
  });

  describe("handleDurably: resolves only once the store has the message", () => {
    it("stores at once, without waiting for the flush timer", async () => {
      await ingest.handleDurably(topic("telemetry"), payload(telemetry(HOST, 1)));
      expect(ingest.stats()).toMatchObject({ stored: 1, pending: 0 });
      await ingest.handleDurably(topic("state"), payload(birth(HOST)));
      expect(ingest.stats().pendingWrites).toBe(0);
      expect(seen.states).toHaveLength(1);
    });

    it("waits while the store fails and resolves after the retry that stores it", async () => {
      store.failAppends = 2;
      let resolved = false;
      const done = ingest.handleDurably(topic("telemetry"), payload(telemetry(HOST, 1))).then(() => (resolved = true));
      await settled();
      expect(resolved).toBe(false);
      clock.advance(200);
      await settled();
      expect(resolved).toBe(false);
      expect(store.appendCalls.length).toBeGreaterThanOrEqual(2);
      clock.advance(400);
      await settled();
      await done;
      expect(ingest.stats()).toMatchObject({ stored: 1, pending: 0 });
    });

    it("a redelivered copy waits for the first copy's write; a rejected message resolves at once", async () => {
      store.failAppends = 1;
      let firstDone = false;
      let copyDone = false;
      void ingest.handleDurably(topic("telemetry"), payload(telemetry(HOST, 1))).then(() => (firstDone = true));
      void ingest.handleDurably(topic("telemetry"), payload(telemetry(HOST, 1))).then(() => (copyDone = true));
      await ingest.handleDurably(topic("telemetry"), "not json");
      expect(ingest.stats().rejected.bad_json).toBe(1);
      await settled();
      expect([firstDone, copyDone]).toEqual([false, false]);
      clock.advance(200);
      await settled();
      expect([firstDone, copyDone]).toEqual([true, true]);
      expect(ingest.stats()).toMatchObject({ stored: 1, duplicates: 1 });
    });
  });

  it("rejects an explicit flush while the store fails, and stores everything on the next", async () => {
    store.failAppends = 1;
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 1)));
    await expect(ingest.flush()).rejects.toThrow("injected");
    expect(ingest.stats().pending).toBe(1);
    await ingest.flush();
    expect(ingest.stats()).toMatchObject({ stored: 1, pending: 0 });
  });

  it("does not hammer a failing store when batches fill up: only the retry timer tries", async () => {
    start({ maxBatch: 2 });
    store.failAppends = 1;
    for (const seq of [1, 2]) ingest.handle(topic("telemetry"), payload(telemetry(HOST, seq)));
    await settled();
    for (const seq of [3, 4, 5, 6]) ingest.handle(topic("telemetry"), payload(telemetry(HOST, seq)));
    await settled();
    expect(store.appendCalls).toEqual([2]);
    clock.advance(200);
    await settled();
    expect(store.appendCalls).toEqual([2, 2, 2, 2]);
    expect(ingest.stats()).toMatchObject({ stored: 6, pending: 0 });
  });

  it("refuses new telemetry as overload once maxPending wait, and accepts again after a flush", async () => {
    start({ maxPending: 2 });
    store.failAppends = 10;
    for (const seq of [1, 2, 3]) ingest.handle(topic("telemetry"), payload(telemetry(HOST, seq)));
    expect(ingest.stats()).toMatchObject({ accepted: 2, pending: 2 });
    expect(ingest.stats().rejected.overload).toBe(1);
    store.failAppends = 0;
    await ingest.flush();
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 3)));
    await ingest.flush();
    expect(ingest.stats()).toMatchObject({ accepted: 3, stored: 3 });
  });

  describe("presence", () => {
    it("registers a host from its birth and marks it offline on its Last Will", async () => {
      ingest.handle(topic("state"), payload(birth(HOST)));
      await ingest.flush();
      expect(await sqlite.getHost(HOST)).toMatchObject({ online: true, boot: BOOT_A, birth: birth(HOST) });
      ingest.handle(topic("state"), payload(offline(HOST, BOOT_A, T0 + 1, "lost")));
      await ingest.flush();
      expect(await sqlite.getHost(HOST)).toMatchObject({ online: false, offlineReason: "lost" });
      expect(seen.states.map((s) => s.online)).toEqual([true, false]);
    });

    it("does not pass on a stale Last Will of an earlier boot", async () => {
      ingest.handle(topic("state"), payload(birth(HOST, BOOT_B, T0 + 60_000)));
      ingest.handle(topic("state"), payload(offline(HOST, BOOT_A, T0)));
      await ingest.flush();
      expect(seen.states).toHaveLength(1);
      expect(ingest.stats().staleStates).toBe(1);
      expect((await sqlite.getHost(HOST))?.online).toBe(true);
    });

    it("retries a failed presence write, keeping the order of what follows", async () => {
      store.failWrites = 1;
      ingest.handle(topic("state"), payload(birth(HOST)));
      ingest.handle(topic("state"), payload(offline(HOST)));
      await settled();
      expect(ingest.stats()).toMatchObject({ pendingWrites: 2, failedWrites: 1 });
      expect(await sqlite.getHost(HOST)).toBeUndefined();
      clock.advance(200);
      await settled();
      expect(ingest.stats().pendingWrites).toBe(0);
      expect(seen.states.map((s) => s.online)).toEqual([true, false]);
      expect((await sqlite.getHost(HOST))?.online).toBe(false);
    });
  });

  describe("acks", () => {
    it("records an ack against its command and passes on the latency from send to arrival", async () => {
      await sqlite.recordCommand(command(HOST, "c-1", 1), T0 - 250);
      ingest.handle(topic("ack"), payload(ack(HOST, "c-1")));
      clock.advance(5_000); // a slow write must not count: latency is to arrival
      await ingest.flush();
      expect(seen.acks).toEqual([[ack(HOST, "c-1"), 250]]);
      expect((await sqlite.commandStats()).p50LatencyMs).toBe(250);
    });

    it("passes on an ack for an unknown command without latency, and drops a repeat", async () => {
      await sqlite.recordCommand(command(HOST, "c-1", 1), T0);
      ingest.handle(topic("ack"), payload(ack(HOST, "c-1")));
      ingest.handle(topic("ack"), payload(ack(HOST, "c-1", "rejected")));
      ingest.handle(topic("ack"), payload(ack(HOST, "c-404")));
      await ingest.flush();
      expect(seen.acks.map(([a, latencyMs]) => [a.cmdId, a.status, latencyMs])).toEqual([
        ["c-1", "applied", 0],
        ["c-404", "applied", undefined],
      ]);
      expect(ingest.stats().repeatAcks).toBe(1);
    });
  });

  it("keeps going when a listener throws", async () => {
    ingest.onTelemetry(() => {
      throw new Error("listener bug");
    });
    expect(() => ingest.handle(topic("telemetry"), payload(telemetry(HOST, 1)))).not.toThrow();
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 2)));
    await ingest.flush();
    expect(seen.telemetry).toHaveLength(2);
    expect(ingest.stats().stored).toBe(2);
  });

  it("stops listening on unsubscribe", () => {
    const got: number[] = [];
    const off = ingest.onTelemetry((t) => got.push(t.seq));
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 1)));
    off();
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 2)));
    expect(got).toEqual([1]);
  });

  it("flushes on close and refuses what arrives after it", async () => {
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 1)));
    ingest.handle(topic("state"), payload(birth(HOST)));
    await ingest.close();
    expect(await sqlite.countTelemetry()).toBe(1);
    expect((await sqlite.getHost(HOST))?.online).toBe(true);
    ingest.handle(topic("telemetry"), payload(telemetry(HOST, 2)));
    expect(ingest.stats()).toMatchObject({ accepted: 1, stored: 1, pending: 0 });
    expect(ingest.stats().rejected.closed).toBe(1);
  });
});
