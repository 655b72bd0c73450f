import { describe, expect, it } from "vitest";
import { FIRMWARE_ONLY, runClosedLoop } from "../../bench/closed-loop/engine.js";
import { HostMetrics, summariseRun } from "../../bench/closed-loop/metrics.js";
import type { BenchScenario, ScheduledFault } from "../../bench/closed-loop/scenarios.js";
import { firmwareSteadyState } from "../../firmware-sim/physics/steady-state.js";
import type { SimSnapshot } from "../../firmware-sim/physics/types.js";
import { loadProfile } from "../../firmware-sim/profiles/index.js";
import { B0FixedPolicy } from "../../src/controller/planner/policy-b0-fixed.js";
import { B2CascadePidPolicy } from "../../src/controller/planner/policy-b2-pid.js";

/** Idle at 25 °C inlet, nothing else: the tiny case whose energy is known in closed form. */
function constantScenario(durationS: number, cpuUtil = 0): BenchScenario {
  return { name: "const", durationS, forHost: () => ({ workload: { name: "const", durationS, at: () => ({ cpuUtil, diskMBps: 0, inletC: 25 }) }, faults: [] }) };
}

describe("closed-loop engine", () => {
  it("a constant fan at the floor costs exactly 6 × 12 W × s³ × t", () => {
    // 20 % is the R740's floor: the agent's local PID (first period, before any command) also asks for it.
    const result = runClosedLoop({ policy: new B0FixedPolicy(20), scenario: constantScenario(120), seed: 1, hosts: 1, spread: false, initialFanPct: 20 });
    const m = result.metrics;
    expect(m.coolingEnergyJ).toBeCloseTo(72 * 0.2 ** 3 * 120, 6);
    expect(m.totalEnergyJ).toBeGreaterThan(m.coolingEnergyJ);
    expect(m.fanTotalVariationPct).toBe(0);
    expect(m.fanReversalsPerH).toBe(0);
    expect(m.throttleS).toBe(0);
    expect(m.overLimitS).toBe(0);
    expect(m.meanFanPct).toBeCloseTo(20, 9);
    expect(m.peakCoolingW).toBeCloseTo(72 * 0.008, 9);
  });

  it("a constant fan above the floor converges on the same law after the first seconds", () => {
    const result = runClosedLoop({ policy: new B0FixedPolicy(60), scenario: constantScenario(600, 0.5), seed: 1, hosts: 1, spread: false, initialFanPct: 60 });
    // Before the first command the local PID pulls the fans down for one period (slew 5 %/s), then B0 holds 60 %.
    expect(result.metrics.coolingEnergyJ / (72 * 0.6 ** 3 * 600)).toBeGreaterThan(0.995);
    expect(result.metrics.coolingEnergyJ / (72 * 0.6 ** 3 * 600)).toBeLessThanOrEqual(1 + 1e-9);
  });

  it("is deterministic for a seed and differs between seeds", () => {
    const run = (seed: number) => runClosedLoop({ policy: new B2CascadePidPolicy(1000), scenario: constantScenario(300, 0.8), seed, hosts: 2 }).metrics;
    expect(run(3)).toEqual(run(3));
    expect(run(3).totalEnergyJ).not.toBe(run(4).totalEnergyJ);
  });

  it("runs the real state machine: a host starts Running and its states add up to the run", () => {
    const m = runClosedLoop({ policy: new B0FixedPolicy(40), scenario: constantScenario(60), seed: 1, hosts: 2 }).metrics;
    const shares = Object.values(m.stateShare).reduce((a, b) => a + b, 0);
    expect(shares).toBeCloseTo(1, 9);
    expect(m.stateShare.Running).toBeGreaterThan(0);
  });

  it("reports the planner's time per decision", () => {
    const result = runClosedLoop({ policy: new B0FixedPolicy(40), scenario: constantScenario(30), seed: 1, hosts: 3 });
    expect(result.decisionMsP99).toBeGreaterThan(0);
    expect(result.tickMsP99).toBeGreaterThanOrEqual(result.decisionMsP99);
  });
});

describe("closed-loop engine, the firmware alone (fw)", () => {
  it("drives the fans on the profile's own curve, to where the simulated firmware settles, and plans nothing", () => {
    const profile = loadProfile("poweredge-r740-air");
    const settled = firmwareSteadyState(profile, { cpuUtil: 1, inletC: 25 });
    // Idle for a minute, on the curve's first step, then full load: the fans have to climb the curve.
    const durationS = 1800;
    const idleThenFull: BenchScenario = {
      name: "step",
      durationS,
      forHost: () => ({ workload: { name: "step", durationS, at: (tS) => ({ cpuUtil: tS < 60 ? 0 : 1, diskMBps: 0, inletC: 25 }) }, faults: [] }),
    };
    const result = runClosedLoop({ policy: FIRMWARE_ONLY, scenario: idleThenFull, seed: 1, hosts: 1, spread: false, recordTrace: true });
    const fanPct = result.trace?.fanPct ?? [];
    expect(settled.fanPct).toBe(80);
    expect(fanPct[0]).toBe(20);
    expect(fanPct[59]).toBe(20);
    expect(new Set(fanPct).size).toBeGreaterThan(3);
    expect(fanPct.at(-1)).toBe(settled.fanPct);
    expect(Math.max(...fanPct.slice(-600))).toBe(settled.fanPct);
    expect(result.trace?.dieC.at(-1)).toBeCloseTo(settled.dieC, 0);
    expect(result.decisionMsP99).toBe(0);
    expect(result.tickMsP99).toBe(0);
  });

  it("leaves a liquid-cooled host's pump at the CDU's own setting", () => {
    const profile = loadProfile("poweredge-r750-liquid");
    const pumpW = (profile.liquid?.pumpMaxPowerW ?? Number.NaN) * ((profile.liquid?.firmwarePumpPct ?? Number.NaN) / 100) ** 3;
    // Idle: the die stays under the curve's second step, so the fans sit on its first (the R750's 15 % floor).
    const fanW = profile.fans.count * profile.fans.maxPowerW * (profile.firmwareFanCurve[0]![1] / 100) ** 3;
    const result = runClosedLoop({ policy: FIRMWARE_ONLY, scenario: constantScenario(600, 0), seed: 1, hosts: 1, spread: false, profileIds: ["poweredge-r750-liquid"], initialFanPct: 15 });
    expect(result.metrics.coolingEnergyJ / 600).toBeCloseTo(fanW + pumpW, 2);
  });
});

function snapshot(dieC: number, over: Partial<SimSnapshot> = {}): SimSnapshot {
  return {
    hostId: "h",
    profileId: "p",
    timeS: 0,
    cpuUtil: 1,
    diskMBps: 0,
    inletC: 25,
    exhaustC: 35,
    cpuCount: 2,
    sockets: [{ dieC, coreC: [dieC], sinkC: dieC - 10, dynamicW: 100, leakageW: 20, throttled: false }],
    fans: [],
    drives: [{ name: "sda", tempC: 30, powerW: 5 }],
    coolingPowerW: 10,
    serverPowerW: 300,
    tjMaxC: 100,
    noiseDb: 60,
    ...over,
  };
}

describe("closed-loop metrics", () => {
  it("counts time and kelvin-hours above the target and at or over the hard limit", () => {
    const h = new HostMetrics(100, [50]);
    h.add(snapshot(85), 30, 1); // below target 90
    h.add(snapshot(93), 35, 1); // 3 K above target
    h.add(snapshot(100, { throttled: true }), 100, 2); // at Tj max, throttling
    h.add(snapshot(80, { drives: [{ name: "sda", tempC: 52, powerW: 9 }] }), 100, 1); // drive 2 K over its limit, 10 K over its target
    const m = summariseRun([h], {});
    expect(m.overLimitS).toBe(3);
    expect(m.throttleS).toBe(2);
    expect(m.overLimitKh).toBeCloseTo(2 / 3600, 9);
    expect(m.aboveTargetS).toBe(4);
    expect(m.aboveTargetKh).toBeCloseTo((3 + 10 * 2 + 10) / 3600, 9);
    expect(m.maxOvershootC).toBe(10);
    expect(m.fanTotalVariationPct).toBe(70);
    expect(m.coolingEnergyJ).toBe(50);
  });

  it("counts throttle* only on hosts that full fan keeps under Tj max", () => {
    const avoidable = new HostMetrics(100, [], false, true);
    const unavoidable = new HostMetrics(100, [], false, false);
    for (const h of [avoidable, unavoidable]) h.add(snapshot(100, { throttled: true }), 100, 3);
    unavoidable.add(snapshot(100, { throttled: true }), 100, 1);
    const m = summariseRun([avoidable, unavoidable], {});
    expect(m.throttleS).toBe(3.5);
    expect(m.throttleAvoidableS).toBe(1.5);
    expect(m.unavoidableThrottleHosts).toBe(1);
  });

  it("counts a fan reversal only when the direction changes by more than the deadband", () => {
    const h = new HostMetrics(100, []);
    for (const pct of [40, 50, 50.2, 45, 46, 60]) h.add(snapshot(70), pct, 1);
    // up (40→50), ignored (+0.2), down (→45): reversal, up (+1): reversal, up: none.
    expect(h.reversals).toBe(2);
  });
});

describe("closed-loop overshoot on hosts that can hold their target", () => {
  it("counts a host as uncontrollable only when full fan cannot hold its target at the run's peak", () => {
    const scenario = (inletC: number): BenchScenario => ({
      name: "hot",
      durationS: 30,
      forHost: () => ({ workload: { name: "hot", durationS: 30, at: () => ({ cpuUtil: 1, diskMBps: 0, inletC }) }, faults: [] }),
    });
    const run = (inletC: number) => runClosedLoop({ policy: new B0FixedPolicy(100), scenario: scenario(inletC), seed: 1, hosts: 1, spread: false }).metrics;
    expect(run(25).uncontrollableHosts).toBe(0);
    expect(run(25).unavoidableThrottleHosts).toBe(0);
    // A 35 °C room: full fan settles the nominal R740 at 95.8 °C, over its 90 °C target but under Tj max.
    const warm = run(35);
    expect(warm.uncontrollableHosts).toBe(1);
    expect(warm.unavoidableThrottleHosts).toBe(0);
    const hot = run(45);
    expect(hot.uncontrollableHosts).toBe(1);
    expect(hot.unavoidableThrottleHosts).toBe(1);
    expect(hot.maxOvershootControllableC).toBe(0);
    expect(hot.throttleS).toBeGreaterThan(0);
    expect(hot.throttleAvoidableS).toBe(0);
  });

  it("judges a host by the cooling the run leaves it: a fan the scenario kills counts as dead", () => {
    // At full load and a 28 °C room the nominal R740 settles at 85.3 °C with six fans at 100 % and at 90.9 °C with five:
    // its target is 90 °C.
    const scenario = (faults: ScheduledFault[]): BenchScenario => ({
      name: "fan dies",
      durationS: 30,
      forHost: () => ({ workload: { name: "fan dies", durationS: 30, at: () => ({ cpuUtil: 1, diskMBps: 0, inletC: 28 }) }, faults }),
    });
    const uncontrollable = (faults: ScheduledFault[]) =>
      runClosedLoop({ policy: new B0FixedPolicy(100), scenario: scenario(faults), seed: 1, hosts: 1, spread: false }).metrics.uncontrollableHosts;
    expect(uncontrollable([])).toBe(0);
    expect(uncontrollable([{ kind: "fan-dead", atS: 10, fan: 0 }])).toBe(1);
    expect(uncontrollable([{ kind: "fan-dead", atS: 60, fan: 0 }])).toBe(0);
  });
});
