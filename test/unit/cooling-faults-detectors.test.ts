import { describe, expect, it } from "vitest";
import { createRng } from "../../firmware-sim/rng.js";
import { AlarmLatch, CannotCoolDetector, CommandHistory, fanFailureDetector, LeakDetector, pumpFailureDetector, type AlarmEvent, type GroupAtLimit } from "../../src/agent/cooling-faults/index.js";
import type { ControlledTemp } from "../../src/agent/controlled-sensors.js";
import { CoolingFaultsConfig } from "../../src/config/agent-schema.js";
import type { Reading, ReadingQuality } from "../../src/protocol/index.js";

const DEFAULTS = CoolingFaultsConfig.parse({});
const PERIOD_MS = 1000;
const T0 = 1_700_000_000_000;

function rpmReading(id: string, value: number, quality: ReadingQuality = "ok"): Reading {
  return { id, kind: "fan", unit: "rpm", value, quality };
}

/**
 * Fans as a test bench: each follows the group's command with a first-order lag (τ 1.5 s) to maxRpm × pct × health,
 * read once per period. tach() may distort what the detector sees (noise, sentinels).
 */
class FanBench {
  readonly detector = fanFailureDetector(DEFAULTS.fans);
  readonly commands = new CommandHistory();
  readonly health: number[];
  readonly events: (AlarmEvent & { period: number })[] = [];
  private readonly speedsPct: number[];
  private nowMs = T0;
  period = 0;

  constructor(
    count: number,
    private readonly maxRpm = 12_000,
    private readonly tach: (fan: number, rpm: number, period: number) => Reading = (fan, rpm) => rpmReading(`nct6798:fan${fan + 1}`, Math.round(rpm)),
  ) {
    this.health = Array.from({ length: count }, () => 1);
    this.speedsPct = Array.from({ length: count }, () => 20);
  }

  /** One control period: judge what the tachs read, apply the command, let the fans move for a period. */
  step(cmdPct: number, commandKnown = true): AlarmEvent[] {
    const readings = this.speedsPct.map((pct, fan) => this.tach(fan, (pct / 100) * this.maxRpm, this.period));
    const events = this.detector.assess(this.nowMs, readings, this.commands, commandKnown);
    this.events.push(...events.map((e) => ({ ...e, period: this.period })));
    this.commands.record(this.nowMs, cmdPct);
    const alpha = 1 - Math.exp(-PERIOD_MS / 1000 / 1.5);
    this.speedsPct.forEach((pct, i) => (this.speedsPct[i] = pct + (cmdPct * (this.health[i] ?? 1) - pct) * alpha));
    this.nowMs += PERIOD_MS;
    this.period++;
    return events;
  }

  run(periods: number, cmdPct: (period: number) => number): void {
    for (let i = 0; i < periods; i++) this.step(cmdPct(this.period));
  }
}

describe("fan_failure detection", () => {
  it("raises fan_failure for a seized fan within five periods of a 1.5 s spin-down, naming its tachometer", () => {
    const bench = new FanBench(6);
    bench.run(30, () => 45);
    expect(bench.events).toEqual([]);
    bench.health[2] = 0;
    const failedAt = bench.period;
    bench.run(10, () => 45);
    const raised = bench.events.filter((e) => e.change === "raised");
    expect(raised.map((e) => [e.kind, e.source])).toEqual([["fan_failure", "nct6798:fan3"]]);
    // The rotor takes two periods to fall below half speed, then three low medians raise the alarm.
    expect(raised[0]!.period - failedAt).toBeLessThanOrEqual(5);
    expect(bench.detector.active()).toEqual([{ kind: "fan_failure", source: "nct6798:fan3", sinceMs: expect.any(Number) as number }]);
  });

  it("raises for a fan dragging at 40 % of its speed once its RPM per duty is learned", () => {
    const bench = new FanBench(4);
    bench.run(60, (p) => (p < 30 ? 30 : 70));
    expect(bench.events).toEqual([]);
    bench.health[0] = 0.4;
    const failedAt = bench.period;
    bench.run(12, () => 70);
    const raised = bench.events.filter((e) => e.change === "raised");
    expect(raised.map((e) => e.source)).toEqual(["nct6798:fan1"]);
    expect(raised[0]!.period - failedAt).toBeLessThanOrEqual(6);
  });

  it("raises no alarm through ten minutes of commanded ramps with a noisy tachometer, sentinels and dropped reads", () => {
    const rng = createRng(3);
    const noisy = (fan: number, rpm: number, period: number): Reading => {
      const id = `nct6798:fan${fan + 1}`;
      if ((period + fan) % 7 === 0) return rpmReading(id, 65535, "out_of_range");
      if ((period + fan) % 23 === 0) return { id, kind: "fan", unit: "rpm", value: null, quality: "missing" };
      // One glitch read of 0 now and then: the median of three must absorb it.
      if ((period * 5 + fan) % 31 === 0) return rpmReading(id, 0);
      return rpmReading(id, Math.max(0, Math.round(rpm * (1 + rng.normal(0, 0.08)))));
    };
    const bench = new FanBench(6, 12_000, noisy);
    // Full-range steps every 15 s, both ways, and slow ramps in between.
    bench.run(600, (p) => {
      const phase = Math.floor(p / 15) % 4;
      if (phase === 0) return 20;
      if (phase === 1) return 100;
      if (phase === 2) return 20 + (p % 15) * 5;
      return 100 - (p % 15) * 5;
    });
    expect(bench.events).toEqual([]);
  });

  it("clears only after clearAfterPeriods good periods in a row", () => {
    const bench = new FanBench(2);
    bench.run(20, () => 50);
    bench.health[1] = 0;
    bench.run(8, () => 50);
    expect(bench.detector.active()).toHaveLength(1);
    bench.health[1] = 1;
    // The fan spins up again; a relapse after eight periods restarts the count of good periods.
    bench.run(8, () => 50);
    bench.health[1] = 0;
    bench.run(4, () => 50);
    bench.health[1] = 1;
    const restoredAt = bench.period;
    bench.run(DEFAULTS.fans.clearAfterPeriods - 1, () => 50);
    expect(bench.detector.active()).toHaveLength(1);
    bench.run(8, () => 50);
    const cleared = bench.events.filter((e) => e.change === "cleared");
    expect(cleared.map((e) => e.source)).toEqual(["nct6798:fan2"]);
    expect(cleared[0]!.period - restoredAt).toBeGreaterThanOrEqual(DEFAULTS.fans.clearAfterPeriods);
    expect(bench.detector.active()).toEqual([]);
  });

  it("judges nothing while the fans are monitor-only (the command is not the agent's)", () => {
    const bench = new FanBench(2);
    bench.health[0] = 0;
    for (let i = 0; i < 30; i++) bench.step(60, false);
    expect(bench.events).toEqual([]);
  });

  it("does not judge a fan still spinning up after the agent took over", () => {
    const bench = new FanBench(1);
    // From 20 % to 100 % at once: the first settleS the reference is the lowest command of the window.
    bench.run(DEFAULTS.fans.settleS + 5, () => 100);
    expect(bench.events).toEqual([]);
  });
});

describe("pump_failure detection", () => {
  function pumpReadings(rpm: number, flowLpm: number): Reading[] {
    return [
      { id: "cdu:pump1_rpm", kind: "pump", unit: "rpm", value: rpm, quality: "ok" },
      { id: "cdu:pump1_pwm", kind: "pump", unit: "pct", value: 40, quality: "ok" },
      { id: "cdu:flow", kind: "flow", unit: "Lpm", value: flowLpm, quality: "ok" },
    ];
  }

  it("raises on the flow meter when the flow halves at a steady duty while the pump still spins", () => {
    const detector = pumpFailureDetector(DEFAULTS.pump);
    const commands = new CommandHistory();
    const events: AlarmEvent[] = [];
    let health = 1;
    for (let p = 0; p < 80; p++) {
      if (p === 60) health = 0.5;
      const nowMs = T0 + p * PERIOD_MS;
      events.push(...detector.assess(nowMs, pumpReadings(1920, 4 * 0.4 * health), commands, true));
      commands.record(nowMs, 40);
    }
    expect(events.map((e) => [e.kind, e.source, e.change])).toEqual([["pump_failure", "cdu:flow", "raised"]]);
  });

  it("raises on the tachometer when the pump stops, learned or not", () => {
    const detector = pumpFailureDetector(DEFAULTS.pump);
    const commands = new CommandHistory();
    const events: AlarmEvent[] = [];
    for (let p = 0; p < 30; p++) {
      const nowMs = T0 + p * PERIOD_MS;
      events.push(...detector.assess(nowMs, pumpReadings(0, 0.05), commands, true));
      commands.record(nowMs, 50);
    }
    expect(events.map((e) => e.source)).toEqual(["cdu:pump1_rpm"]);
  });
});

describe("leak detection", () => {
  it("raises on the first read with a flag set, holds while unreadable, clears after leakClearAfterPeriods clear reads", () => {
    let status: { raw: number; set: string[] } | undefined = { raw: 0, set: [] };
    const detector = new LeakDetector([{ name: "cdu", leak: () => status }], 3);
    expect(detector.assess(T0)).toEqual([]);
    status = { raw: 2, set: ["tray_leak"] };
    expect(detector.assess(T0 + 1000)).toMatchObject([{ kind: "leak", source: "cdu:tray_leak", change: "raised" }]);
    status = undefined;
    for (let i = 2; i < 10; i++) expect(detector.assess(T0 + i * 1000)).toEqual([]);
    expect(detector.active()).toEqual([{ kind: "leak", source: "cdu:tray_leak", sinceMs: T0 + 1000 }]);
    status = { raw: 0, set: [] };
    expect(detector.assess(T0 + 10_000)).toEqual([]);
    expect(detector.assess(T0 + 11_000)).toEqual([]);
    expect(detector.assess(T0 + 12_000)).toMatchObject([{ source: "cdu:tray_leak", change: "cleared" }]);
  });

  it("reports a bit the register map does not name under the register itself", () => {
    const detector = new LeakDetector([{ name: "cdu", leak: () => ({ raw: 0x80, set: [] }) }], 3);
    expect(detector.assess(T0)).toMatchObject([{ source: "cdu:leak_flags", change: "raised" }]);
  });
});

describe("cannot_cool", () => {
  const settings = { afterS: 30, clearAfterPeriods: 5, hysteresisC: 3 };
  function cpu(tempC: number | null, quality: ReadingQuality = "ok"): ControlledTemp {
    return { id: "coretemp.0:Package id 0", role: "cpu", tempC, trusted: quality === "ok" && tempC !== null, quality, targetC: 90, criticalC: 97, required: true };
  }
  const atMax: GroupAtLimit[] = [{ name: "fans", outputPct: 100, maxPct: 100, tier: "full" }];

  it("is raised once a required temperature has stayed critical for afterS with every group at its maximum", () => {
    const detector = new CannotCoolDetector(settings);
    const raisedAt: number[] = [];
    for (let s = 0; s <= 40; s++) if (detector.assess(T0 + s * 1000, [cpu(99)], atMax).length > 0) raisedAt.push(s);
    expect(raisedAt).toEqual([30]);
    expect(detector.activeAlarms()).toEqual([{ kind: "cannot_cool", source: "coretemp.0:Package id 0", sinceMs: T0 + 30_000 }]);
  });

  it("is never raised without evidence: a group below its maximum, a monitor-only group, or a blind sensor restart the count", () => {
    const detector = new CannotCoolDetector(settings);
    const interruptions: [number, GroupAtLimit[], ControlledTemp][] = [
      [20, [{ name: "fans", outputPct: 90, maxPct: 100, tier: "full" }], cpu(99)],
      [45, [{ name: "fans", outputPct: 100, maxPct: 100, tier: "monitor" }], cpu(99)],
      [70, atMax, cpu(null, "missing")],
    ];
    for (let s = 0; s < 95; s++) {
      const interruption = interruptions.find(([at]) => at === s);
      const events = detector.assess(T0 + s * 1000, [interruption?.[2] ?? cpu(99)], interruption?.[1] ?? atMax);
      expect(events, `second ${s}`).toEqual([]);
    }
    expect(detector.evidenceForMs(T0 + 94_000)).toBe(23_000);
  });

  it("clears only after clearAfterPeriods periods below criticalC − hysteresisC", () => {
    const detector = new CannotCoolDetector(settings);
    for (let s = 0; s <= 30; s++) detector.assess(T0 + s * 1000, [cpu(99)], atMax);
    expect(detector.active).toBe(true);
    // Below critical but inside the hysteresis band: still active.
    for (let s = 31; s < 50; s++) expect(detector.assess(T0 + s * 1000, [cpu(95)], atMax)).toEqual([]);
    const cleared: number[] = [];
    for (let s = 50; s < 60; s++) if (detector.assess(T0 + s * 1000, [cpu(90)], atMax).length > 0) cleared.push(s);
    expect(cleared).toEqual([54]);
  });
});

describe("AlarmLatch", () => {
  it("counts unknown periods neither way", () => {
    const latch = new AlarmLatch(3, 2);
    expect([latch.observe("present", 1), latch.observe("unknown", 2), latch.observe("present", 3), latch.observe("present", 4)]).toEqual([
      undefined,
      undefined,
      undefined,
      "raised",
    ]);
    expect(latch.sinceMs).toBe(4);
    expect([latch.observe("absent", 5), latch.observe("unknown", 6), latch.observe("absent", 7)]).toEqual([undefined, undefined, "cleared"]);
  });
});
