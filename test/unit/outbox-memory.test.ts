import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MemoryOutbox, openOutbox, ReplayPacer, type OutboxRecord } from "../../src/agent/outbox/index.js";
import { AgentConfig } from "../../src/config/agent-schema.js";
import { ManualClock } from "../../src/core/clock.js";
import { isCoolfleetError, ErrorCode } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import { scratchDir } from "../../src/core/scratch-dir.js";

function drain(outbox: MemoryOutbox): OutboxRecord[] {
  const out: OutboxRecord[] = [];
  for (let r = outbox.nextBacklog(() => false); r; r = outbox.nextBacklog(() => false)) out.push(r);
  return out;
}

describe("MemoryOutbox", () => {
  it("drops the oldest telemetry past maxMessages, keeps acks, and counts", () => {
    const outbox = new MemoryOutbox({ maxMessages: 4, maxAgeMs: 3_600_000, clock: new ManualClock(), logger: silentLogger() });
    outbox.append("ack", "a", "ack-0");
    for (let i = 0; i < 6; i++) outbox.append("telemetry", "t", `t-${i}`);
    expect(drain(outbox).map((r) => r.payload)).toEqual(["ack-0", "t-3", "t-4", "t-5"]);
    expect(outbox.stats()).toMatchObject({ backlog: 4, dropped: 3, droppedAcks: 0 });
  });

  it("drops messages past the age bound at maintain()", () => {
    const clock = new ManualClock();
    const outbox = new MemoryOutbox({ maxMessages: 100, maxAgeMs: 10_000, clock, logger: silentLogger() });
    for (let i = 0; i < 5; i++) {
      outbox.append("telemetry", "t", `t-${i}`);
      clock.advance(4000);
    }
    outbox.maintain();
    expect(drain(outbox).map((r) => r.payload)).toEqual(["t-3", "t-4"]);
    expect(outbox.stats().dropped).toBe(3);
  });

  it("forgets acknowledged messages and re-reads the rest after rewind()", () => {
    const outbox = new MemoryOutbox({ maxMessages: 100, maxAgeMs: 10_000, clock: new ManualClock(), logger: silentLogger() });
    const records = ["a", "b", "c"].map((p) => outbox.append("telemetry", "t", p));
    expect(drain(outbox)).toHaveLength(3);
    outbox.acknowledge(records[1]!.id);
    outbox.rewind();
    expect(drain(outbox).map((r) => r.payload)).toEqual(["a", "c"]);
  });
});

describe("ReplayPacer", () => {
  it("allows a burst of one second's worth, then replayPerS messages per second of clock time", () => {
    const clock = new ManualClock();
    const pacer = new ReplayPacer(clock, 20);
    clock.advance(60_000); // a long outage banks no more than the one-second burst
    const perSecond: number[] = [];
    for (let second = 0; second < 5; second++) {
      let inSecond = 0;
      for (let ms = 0; ms < 1000; ms++) {
        while (pacer.waitMs() === 0) {
          pacer.spend();
          inSecond++;
        }
        clock.advance(1);
      }
      perSecond.push(inSecond);
    }
    expect(perSecond[0]).toBeGreaterThanOrEqual(20);
    expect(perSecond[0]).toBeLessThanOrEqual(40);
    expect(perSecond.slice(1)).toEqual([20, 20, 20, 20]);
    // Out of tokens: the wait is the time to the next one, never more than one interval.
    while (pacer.waitMs() === 0) pacer.spend();
    expect(pacer.waitMs()).toBeGreaterThan(0);
    expect(pacer.waitMs()).toBeLessThanOrEqual(50);
  });
});

describe("openOutbox", () => {
  it("turns an unusable outbox.dir into a config error naming the key and the way out", () => {
    const dir = scratchDir("coolfleet-outbox-bad-");
    try {
      writeFileSync(join(dir, "file"), "");
      const config = AgentConfig.parse({
        version: 1,
        temperatures: [{ match: "x", role: "cpu", targetC: 80, criticalC: 90 }],
        fans: { chip: "nct6798", channels: [1] },
        outbox: { dir: join(dir, "file", "outbox") },
      });
      let caught: unknown;
      try {
        openOutbox(config, new ManualClock(), silentLogger());
      } catch (err) {
        caught = err;
      }
      expect(isCoolfleetError(caught, ErrorCode.ConfigInvalid)).toBe(true);
      expect((caught as Error).message).toMatch(/^outbox\.dir ".*file\/outbox": cannot keep the outbox there \(ENOTDIR.*outbox\.kind: memory/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("defaults to a disk outbox under /var/lib/coolfleet with the documented bounds", () => {
    const config = AgentConfig.parse({ version: 1, temperatures: [{ match: "x", role: "cpu", targetC: 80, criticalC: 90 }], fans: { chip: "nct6798", channels: [1] } });
    expect(config.outbox).toEqual({ kind: "disk", dir: "/var/lib/coolfleet/outbox", maxAgeH: 48, maxMiB: 1024, replayPerS: 20, fsyncMs: 1000 });
  });
});
