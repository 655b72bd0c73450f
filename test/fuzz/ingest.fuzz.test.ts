import { Writable } from "node:stream";
import { pino } from "pino";
import { afterAll, describe, expect, it } from "vitest";
import { REJECT_REASONS, type RejectReason } from "../../src/controller/ingest/reject-reason.js";
import { TelemetryIngest } from "../../src/controller/ingest/telemetry-ingest.js";
import { SqliteTelemetryStore } from "../../src/controller/store/index.js";
import { ManualClock } from "../../src/core/clock.js";
import { decodeAck, decodeHostState, decodeTelemetry, encode, hostTopic, TOPIC_ROOT, type DecodeResult, type Telemetry } from "../../src/protocol/index.js";
import { FuzzRng, fuzzRuns, fuzzSeed, mutateBytes, type Json } from "./mutator.js";
import { codecReason } from "./codec-reason.js";
import { fuzzPayload, T0, validMessage, type MessageKind } from "./protocol-gen.js";
import { report, Tally } from "./tally.js";

const RUNS = fuzzRuns(15_000);
const HOSTS = ["h1", "h2", "rack-7.node_3"];

/** Error-level log lines: ingest turns an unexpected throw into one, so an empty list means no hidden crash. */
function errorCapturingLogger(lines: string[]) {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return pino({ level: "error" }, sink);
}

function fuzzTopic(rng: FuzzRng, host: string, kind: MessageKind | "telemetry" | "state" | "ack"): string {
  const good = hostTopic(host, kind);
  switch (rng.int(20)) {
    case 0:
      return mutateBytes(rng, Buffer.from(good), 2).toString("utf8");
    case 1:
      return `${TOPIC_ROOT}/${host}/${rng.pick(["cmd", "status", "", "telemetry/x", "#", "+"])}`;
    case 2:
      return rng.pick(["", "/", "coolfleet", `coolfleet/v2/${host}/telemetry`, `${TOPIC_ROOT}/+/telemetry`, `${TOPIC_ROOT}//telemetry`, `${TOPIC_ROOT}/${"a".repeat(65)}/state`]);
    case 3:
      return hostTopic(rng.pick(HOSTS), kind);
    default:
      return good;
  }
}

/** What ingest should do with (topic, payload), worked out from the decoders and the topic rules alone. */
function expected(topic: string, payload: Buffer | string, seen: Set<string>): RejectReason | "accepted" | "duplicate" | "queued" {
  const parts = topic.split("/");
  const ours = parts.length === 4 && `${parts[0]}/${parts[1]}` === TOPIC_ROOT && /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/.test(parts[2] ?? "");
  if (!ours) return "bad_topic";
  const kind = parts[3];
  const decode: ((p: Buffer | string) => DecodeResult<{ host: string }>) | undefined =
    kind === "telemetry" ? decodeTelemetry : kind === "state" ? decodeHostState : kind === "ack" ? decodeAck : undefined;
  if (!decode) return "unknown_kind";
  const d = decode(payload);
  if (!d.ok) {
    const r = codecReason(d.reason);
    if (!r) throw new Error(`unclassifiable codec reason ${d.reason}`);
    return r;
  }
  if (d.value.host !== parts[2]) return "host_mismatch";
  if (kind !== "telemetry") return "queued";
  const t = d.value as Telemetry;
  const key = `${t.host}\u0000${t.boot}\u0000${t.seq}`;
  if (seen.has(key)) return "duplicate";
  seen.add(key);
  return "accepted";
}

const tallies: Tally[] = [];
afterAll(() => report("ingest", tallies));

describe("TelemetryIngest.handle under fuzz", () => {
  it("never throws or logs an unexpected error; every message is accepted, deduplicated or rejected for a known reason", async () => {
    const rng = new FuzzRng(fuzzSeed("ingest"));
    const clock = new ManualClock(T0);
    const store = new SqliteTelemetryStore(":memory:", { clock });
    const errors: string[] = [];
    const ingest = new TelemetryIngest({ store, clock, logger: errorCapturingLogger(errors) });
    const tally = new Tally("TelemetryIngest.handle", [...REJECT_REASONS, "duplicate"]);
    tallies.push(tally);
    // Listeners see only what was accepted: each must round-trip through the codec.
    ingest.onTelemetry((t) => {
      const again = decodeTelemetry(encode(t));
      if (!again.ok) throw new Error(`accepted telemetry does not decode after encode: ${again.reason}`);
    });
    const seen = new Set<string>();
    let queued = 0;
    let last: { topic: string; payload: Buffer | string } | undefined;
    for (let i = 0; i < RUNS; i++) {
      const kind = rng.pick(["telemetry", "telemetry", "state", "ack"] as const);
      const host = rng.pick(HOSTS);
      const seed = validMessage(rng, kind, host, rng.int(RUNS)) as unknown as Json;
      const donor = validMessage(rng, "telemetry", host, i) as unknown as Json;
      // Now and then a QoS 1 redelivery of the previous message.
      const redeliver = last !== undefined && rng.chance(0.05);
      const payload = redeliver && last ? last.payload : fuzzPayload(rng, seed, donor);
      const topic = redeliver && last ? last.topic : fuzzTopic(rng, host, kind);
      last = { topic, payload };
      const want = expected(topic, payload, seen);
      const before = ingest.stats();
      ingest.handle(topic, payload);
      const after = ingest.stats();
      const changedReasons = REJECT_REASONS.filter((r) => after.rejected[r] !== before.rejected[r]);
      if (want === "accepted") {
        expect(after.accepted - before.accepted, `iteration ${i}: ${topic}`).toBe(1);
        tally.accept();
      } else if (want === "duplicate") {
        expect(after.duplicates - before.duplicates, `iteration ${i}`).toBe(1);
        tally.reject("duplicate");
      } else if (want === "queued") {
        queued++;
        tally.accept();
      } else {
        expect(changedReasons, `iteration ${i}: ${topic} ${JSON.stringify(String(payload).slice(0, 200))}`).toEqual([want]);
        expect(after.rejected[want] - before.rejected[want]).toBe(1);
        tally.reject(want);
      }
      if (want === "accepted" || want === "duplicate" || want === "queued") expect(changedReasons, `iteration ${i}`).toEqual([]);
      if (i % 2_000 === 1_999) {
        clock.advance(1_000);
        await ingest.flush();
      }
    }
    await ingest.close();
    // After close() everything is refused as "closed", whatever it is.
    const CLOSED_RUNS = 200;
    for (let i = 0; i < CLOSED_RUNS; i++) {
      const host = rng.pick(HOSTS);
      ingest.handle(fuzzTopic(rng, host, "telemetry"), fuzzPayload(rng, validMessage(rng, "telemetry", host, i), null));
      tally.reject("closed");
    }
    const stats = ingest.stats();
    expect(stats.rejected.closed).toBe(CLOSED_RUNS);
    expect(errors, "ingest logged an unexpected error (a caught crash)").toEqual([]);
    expect(stats.failedWrites).toBe(0);
    expect(stats.pending).toBe(0);
    expect(stats.pendingWrites).toBe(0);
    // Every accepted telemetry reached the store exactly once (our own dedupe mirrors the window, so none is a store duplicate).
    expect(stats.stored).toBe(stats.accepted);
    // A message is counted late only after a gap counted it missing.
    expect(stats.lateArrivals).toBeLessThanOrEqual(stats.seqGaps);
    const rejectedSum = Object.values(stats.rejected).reduce((a, b) => a + b, 0);
    expect(stats.accepted + stats.duplicates + rejectedSum + queued).toBe(RUNS + CLOSED_RUNS);
    tally.assertBalanced();
    expect(tally.total).toBe(RUNS + CLOSED_RUNS);
    expect(tally.accepted).toBeGreaterThan(RUNS * 0.02);
    await store.close();
  });
});
