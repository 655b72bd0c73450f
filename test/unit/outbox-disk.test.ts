import { appendFileSync, readdirSync, readFileSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { DiskOutbox, type DiskOutboxOptions, type OutboxRecord } from "../../src/agent/outbox/index.js";
import { ManualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { scratchDir } from "../../src/core/scratch-dir.js";

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const TOPIC = "coolfleet/v1/h-1/telemetry";
const HOUR_MS = 3_600_000;

function setup(overrides: Partial<DiskOutboxOptions> = {}): { dir: string; clock: ManualClock; open: (more?: Partial<DiskOutboxOptions>) => DiskOutbox } {
  const dir = scratchDir("coolfleet-outbox-");
  dirs.push(dir);
  const clock = new ManualClock();
  const open = (more: Partial<DiskOutboxOptions> = {}) =>
    new DiskOutbox({ dir, clock, logger: silentLogger(), maxAgeMs: 48 * HOUR_MS, maxBytes: 64 * 1024 * 1024, fsyncMs: 1000, ...overrides, ...more });
  return { dir, clock, open };
}

function telemetry(seq: number): string {
  return JSON.stringify({ v: 1, seq, pad: "x".repeat(200) });
}

/** Everything the backlog read yields, oldest first. */
function drain(outbox: DiskOutbox, skip: (id: number) => boolean = () => false): OutboxRecord[] {
  const out: OutboxRecord[] = [];
  for (let r = outbox.nextBacklog(skip); r; r = outbox.nextBacklog(skip)) out.push(r);
  return out;
}

const seqs = (records: OutboxRecord[]) => records.map((r) => (JSON.parse(r.payload) as { seq: number }).seq);

function segmentFiles(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".seg")).sort();
}

describe("DiskOutbox", () => {
  it("keeps every appended message for a new instance on the same directory, with no close (a killed agent)", () => {
    const { open } = setup();
    const first = open();
    for (let seq = 0; seq < 5; seq++) first.append("telemetry", TOPIC, telemetry(seq));
    first.append("ack", "coolfleet/v1/h-1/ack", '{"cmdId":"c-1"}');
    // No close(), no maintain(): the data is in the page cache only, as after SIGKILL.
    const second = open();
    const backlog = drain(second);
    expect(backlog.map((r) => r.kind)).toEqual(["telemetry", "telemetry", "telemetry", "telemetry", "telemetry", "ack"]);
    expect(seqs(backlog.slice(0, 5))).toEqual([0, 1, 2, 3, 4]);
    expect(second.stats()).toMatchObject({ backlog: 6, tornRecords: 0, dropped: 0 });
  });

  it("resends after a restart only what the persisted cursor does not call acknowledged", () => {
    const { open } = setup();
    const first = open();
    const records = Array.from({ length: 10 }, (_, seq) => first.append("telemetry", TOPIC, telemetry(seq))!);
    // Live messages 7..9 were acknowledged before the older backlog 0..6 got its turn; then 0..2.
    for (const r of [...records.slice(7), ...records.slice(0, 3)]) first.acknowledge(r.id);
    first.maintain(); // persists the cursor (the link calls this once a second)
    first.acknowledge(records[3]!.id); // after the last persist: sent again after a crash, harmlessly
    const second = open();
    expect(seqs(drain(second))).toEqual([3, 4, 5, 6]);
    expect(second.stats().backlog).toBe(4);
  });

  it("skips what the caller has in flight and reads from the oldest again after rewind()", () => {
    const { open } = setup();
    const outbox = open();
    const records = Array.from({ length: 4 }, (_, seq) => outbox.append("telemetry", TOPIC, telemetry(seq))!);
    const inFlight = new Set([records[1]!.id]);
    expect(seqs(drain(outbox, (id) => inFlight.has(id)))).toEqual([0, 2, 3]);
    expect(drain(outbox)).toEqual([]); // read position at the end
    outbox.acknowledge(records[0]!.id);
    outbox.rewind();
    expect(seqs(drain(outbox))).toEqual([1, 2, 3]);
  });

  it("cuts off a torn tail at start, counts it, and keeps appending after the last good record", () => {
    const { dir, open } = setup();
    const first = open();
    for (let seq = 0; seq < 3; seq++) first.append("telemetry", TOPIC, telemetry(seq));
    const [file] = segmentFiles(dir);
    const path = join(dir, file!);
    const goodBytes = statSync(path).size;
    // A write torn by power loss: a length header and half a body.
    const torn = Buffer.alloc(40, 0xab);
    torn.writeUInt32LE(300, 0);
    appendFileSync(path, torn);

    const second = open();
    expect(statSync(path).size).toBe(goodBytes);
    expect(second.stats()).toMatchObject({ tornRecords: 1, backlog: 3 });
    second.append("telemetry", TOPIC, telemetry(3));
    const third = open();
    expect(seqs(drain(third))).toEqual([0, 1, 2, 3]);
    expect(third.stats().tornRecords).toBe(0);
  });

  it("treats a CRC mismatch in the last record as damage: cut off and counted, the records before it kept", () => {
    const { dir, open } = setup();
    const first = open();
    for (let seq = 0; seq < 3; seq++) first.append("telemetry", TOPIC, telemetry(seq));
    const path = join(dir, segmentFiles(dir)[0]!);
    const bytes = readFileSync(path);
    bytes[bytes.length - 5]! ^= 0xff; // inside the last record's payload
    writeFileSync(path, bytes);
    const second = open();
    expect(second.stats()).toMatchObject({ tornRecords: 1, backlog: 2 });
    expect(seqs(drain(second))).toEqual([0, 1]);
  });

  it("never reuses the id of a record torn off after the broker acknowledged it", () => {
    const { dir, open } = setup();
    const first = open();
    const records = Array.from({ length: 3 }, (_, seq) => first.append("telemetry", TOPIC, telemetry(seq))!);
    first.acknowledge(records[2]!.id);
    first.maintain();
    // Power loss took the last record's bytes, but the cursor (renamed into place) says it was acknowledged.
    const path = join(dir, segmentFiles(dir)[0]!);
    truncateSync(path, statSync(path).size - 10);
    const second = open();
    const fresh = second.append("telemetry", TOPIC, telemetry(3))!;
    expect(fresh.id).toBeGreaterThan(records[2]!.id);
    expect(seqs(drain(second))).toEqual([0, 1, 3]);
  });

  it("deletes a segment once every record in it is acknowledged, and the cursor forgets it", () => {
    const { dir, open } = setup({ segmentBytes: 1024 });
    const outbox = open();
    const records = Array.from({ length: 20 }, (_, seq) => outbox.append("telemetry", TOPIC, telemetry(seq))!);
    const before = segmentFiles(dir).length;
    expect(before).toBeGreaterThan(4);
    for (const r of records.slice(0, 10)) outbox.acknowledge(r.id);
    outbox.maintain();
    const after = segmentFiles(dir).length;
    expect(after).toBeLessThan(before);
    expect(outbox.stats().backlog).toBe(10);
    for (const r of records.slice(10)) outbox.acknowledge(r.id);
    outbox.maintain();
    // Only the segment still being written remains; the cursor holds no ranges for deleted data.
    expect(segmentFiles(dir).length).toBeLessThanOrEqual(1);
    expect(outbox.stats()).toMatchObject({ backlog: 0 });
    const cursor = JSON.parse(readFileSync(join(dir, "acked.json"), "utf8")) as { acked: [number, number][] };
    expect(cursor.acked.length).toBeLessThanOrEqual(1);
    outbox.close();
    expect(drain(open())).toEqual([]);
  });

  it("drops the oldest segments at the size bound, counting unacknowledged telemetry and acks apart", () => {
    const maxBytes = 8 * 1024;
    const { dir, open } = setup({ maxBytes, segmentBytes: 1024 });
    const outbox = open();
    const records: OutboxRecord[] = [];
    for (let seq = 0; seq < 100; seq++) {
      records.push(outbox.append("telemetry", TOPIC, telemetry(seq))!);
      if (seq === 0) outbox.acknowledge(records[0]!.id);
      if (seq % 10 === 0) outbox.append("ack", "coolfleet/v1/h-1/ack", '{"cmdId":"c"}');
    }
    const stats = outbox.stats();
    expect(stats.backlogBytes).toBeLessThanOrEqual(maxBytes);
    const onDisk = segmentFiles(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
    expect(onDisk).toBe(stats.backlogBytes);
    const kept = seqs(drain(outbox).filter((r) => r.kind === "telemetry"));
    // Oldest first: what is kept is the newest run, without gaps, and every telemetry message is either kept or counted.
    expect(kept.at(-1)).toBe(99);
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 100 - kept.length + i));
    expect(stats.dropped).toBe(100 - kept.length - 1); // seq 0 was acknowledged: gone, but not dropped
    expect(stats.droppedAcks).toBeGreaterThan(0);
  });

  it("drops messages past the age bound, whole segments at a time, never a younger one", () => {
    const { clock, open } = setup({ maxAgeMs: 2 * HOUR_MS, segmentBytes: 1024 });
    const outbox = open();
    for (let seq = 0; seq < 30; seq++) {
      outbox.append("telemetry", TOPIC, telemetry(seq));
      clock.advance(5 * 60_000);
    }
    // Now: 30 × 5 min after the first. Messages appended in the last 2 h (seq ≥ 6) must all still be there.
    outbox.maintain();
    const kept = seqs(drain(outbox));
    expect(kept).toEqual(Array.from({ length: kept.length }, (_, i) => 30 - kept.length + i));
    expect(kept.length).toBeGreaterThanOrEqual(24);
    expect(kept.length).toBeLessThan(30);
    expect(outbox.stats().dropped).toBe(30 - kept.length);
  });

  it("fails to open on an unusable directory", () => {
    const { dir } = setup();
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "");
    expect(() => new DiskOutbox({ dir: join(file, "outbox"), clock: new ManualClock(), logger: silentLogger(), maxAgeMs: HOUR_MS, maxBytes: 1 << 20, fsyncMs: 0 })).toThrow(/ENOTDIR/);
  });
});
