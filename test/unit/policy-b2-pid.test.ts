import { describe, expect, it } from "vitest";
import type { Capabilities, ReadingQuality, SensorRole } from "../../src/protocol/index.js";
import type { HostTemperature, HostView } from "../../src/controller/types.js";
import { B2CascadePidPolicy, B2_DEFAULT_GAINS } from "../../src/controller/planner/policy-b2-pid.js";
import { MarginPid } from "../../src/controller/planner/margin-pid.js";
import { ENERGY_OBJECTIVE, type HostObjective } from "../../src/controller/planner/objective.js";
import type { PlannerInput } from "../../src/controller/planner/policy.js";
import { isCoolfleetError } from "../../src/core/errors.js";
import { hostView } from "../helpers/host-view.js";

const NOW = 1_700_000_000_000;
const TARGET_C = 70;
const PLAN_PERIOD_MS = 2000;

function caps(fanMinPct = 0, fanMaxPct = 100, pump?: Capabilities["pump"]): Capabilities {
  return { fans: { channels: 6, tier: "full", minPct: fanMinPct, maxPct: fanMaxPct }, ...(pump ? { pump } : {}), maxLeaseMs: 30_000 };
}

function temp(role: SensorRole, tempC: number | null, quality: ReadingQuality = "ok", id = `${role}-0`): HostTemperature {
  return { id, role, tempC, quality, targetC: TARGET_C, criticalC: 95, required: role === "cpu" };
}

function host(temperatures: HostTemperature[], over: Partial<HostView> = {}): HostView {
  return hostView({ lastSeenMs: NOW, capabilities: caps(), temperatures, fanPct: undefined, powerW: 200, mode: "local", ...over });
}

function input(h: HostView, objective: HostObjective = ENERGY_OBJECTIVE, nowMs = NOW): PlannerInput {
  return { nowMs, hosts: [h], objectives: new Map([[h.hostId, objective]]) };
}

function fanOf(policy: B2CascadePidPolicy, h: HostView, objective?: HostObjective): number | undefined {
  return policy.plan(input(h, objective))[0]?.setpoints.fanPct;
}

/**
 * First-order thermal plant: the CPU relaxes (tauS) toward a steady state that falls as the fan speeds up:
 * steady = 30 + heatW · (0.08 + 0.12 · (1 − fan)). At 300 W the CPU sits at 70 °C with the fan at 55.56 %.
 */
function plantStep(tempC: number, fanPct: number, heatW: number, dtS: number): number {
  const steadyC = 30 + heatW * (0.08 + 0.12 * (1 - fanPct / 100));
  const tauS = 30;
  return tempC + ((steadyC - tempC) * dtS) / tauS;
}
const EQUILIBRIUM_PCT = (1 - (40 / 300 - 0.08) / 0.12) * 100;

describe("B2 cascade PID on a simulated plant", () => {
  it("converges on the target from above and below", () => {
    for (const startC of [88, 55]) {
      const policy = new B2CascadePidPolicy(PLAN_PERIOD_MS);
      let tempC = startC;
      let fanPct = 40;
      for (let i = 0; i < 600; i++) {
        fanPct = fanOf(policy, host([temp("cpu", tempC)], { fanPct })) ?? Number.NaN;
        tempC = plantStep(tempC, fanPct, 300, PLAN_PERIOD_MS / 1000);
      }
      expect(tempC, `from ${startC} °C`).toBeCloseTo(TARGET_C, 1);
      expect(Math.abs(fanPct - EQUILIBRIUM_PCT), `from ${startC} °C`).toBeLessThan(0.5);
    }
  });

  it("leaves saturation as soon as the margin turns negative (anti-windup)", () => {
    const maxPct = 60;
    const policy = new B2CascadePidPolicy(PLAN_PERIOD_MS);
    let tempC = 75;
    let fanPct = 40;
    // 500 W: even at 60 % the steady state is 94 °C, so the loop sits at its bound for ten minutes.
    for (let i = 0; i < 300; i++) {
      fanPct = fanOf(policy, host([temp("cpu", tempC)], { fanPct, capabilities: caps(0, maxPct) })) ?? Number.NaN;
      tempC = plantStep(tempC, fanPct, 500, PLAN_PERIOD_MS / 1000);
    }
    expect(fanPct).toBe(maxPct);
    // The load drops: the CPU cools through the target, and the fan must follow at once.
    let roundsBelowTargetAtMax = 0;
    for (let i = 0; i < 300; i++) {
      fanPct = fanOf(policy, host([temp("cpu", tempC)], { fanPct, capabilities: caps(0, maxPct) })) ?? Number.NaN;
      if (tempC < TARGET_C && fanPct >= maxPct) roundsBelowTargetAtMax++;
      tempC = plantStep(tempC, fanPct, 200, PLAN_PERIOD_MS / 1000);
    }
    expect(roundsBelowTargetAtMax).toBe(0);
    expect(tempC).toBeCloseTo(TARGET_C, 0);
  });

  it("MarginPid holds its integrator at the bound instead of winding up", () => {
    const pid = new MarginPid({ kp: 4, ki: 0.15, kd: 0 }, 2, 20, 80);
    let outPct = 0;
    for (let i = 0; i < 1000; i++) outPct = pid.update(10);
    expect(outPct).toBe(80);
    // At the bound with margin 10: kp·10 + ki·sum = 80 → sum = 266.7; the i_max belt alone would allow 533.
    expect(pid.integralSum).toBeCloseTo((80 - 4 * 10) / 0.15, 6);
    expect(pid.update(-0.5)).toBeLessThan(80);
    for (let i = 0; i < 1000; i++) outPct = pid.update(-30);
    expect(outPct).toBe(20);
    // Saturated low, it stops integrating instead of winding down toward −i_max (−533).
    expect(pid.integralSum).toBeGreaterThan(0);
    expect(pid.update(0.5)).toBeGreaterThan(20);
  });
});

describe("B2 bounds, gains and dt", () => {
  it.each([
    [50, 25, 80, 80],
    [-50, 25, 80, 25],
    [0, 25, 80, 25],
  ])("margin %s °C within [%s, %s] → %s pct", (marginC, minPct, maxPct, expected) => {
    const policy = new B2CascadePidPolicy(PLAN_PERIOD_MS);
    expect(fanOf(policy, host([temp("cpu", TARGET_C + marginC)], { capabilities: caps(minPct, maxPct) }))).toBe(expected);
  });

  it("uses injected gains and the planning period as a fixed dt", () => {
    const p = new B2CascadePidPolicy(PLAN_PERIOD_MS, { fanGains: { kp: 10, ki: 0, kd: 0 } });
    expect(fanOf(p, host([temp("cpu", TARGET_C + 3)]))).toBeCloseTo(30, 9);
    for (const [periodMs, first, second] of [
      [2000, 2, 4],
      [500, 0.5, 1],
    ] as const) {
      const integral = new B2CascadePidPolicy(periodMs, { fanGains: { kp: 0, ki: 1, kd: 0 } });
      expect(fanOf(integral, host([temp("cpu", TARGET_C + 1)]))).toBeCloseTo(first, 9);
      expect(fanOf(integral, host([temp("cpu", TARGET_C + 1)]))).toBeCloseTo(second, 9);
    }
  });

  it("defaults to the agent's L2 gains", () => {
    expect(B2_DEFAULT_GAINS).toEqual({ kp: 4, ki: 0.15, kd: 0 });
    const policy = new B2CascadePidPolicy(1000);
    // P = 4 · 2, I = 0.15 · (2 · 1)
    expect(fanOf(policy, host([temp("cpu", TARGET_C + 2)]))).toBeCloseTo(8.3, 9);
  });

  it("starts bumplessly from the host's current fan %", () => {
    const policy = new B2CascadePidPolicy(PLAN_PERIOD_MS);
    expect(fanOf(policy, host([temp("cpu", TARGET_C)], { fanPct: 50 }))).toBeCloseTo(50, 9);
  });

  it("rebuilds a host's loops when its bounds change", () => {
    const policy = new B2CascadePidPolicy(PLAN_PERIOD_MS);
    expect(fanOf(policy, host([temp("cpu", TARGET_C + 40)], { capabilities: caps(0, 100) }))).toBe(100);
    expect(fanOf(policy, host([temp("cpu", TARGET_C + 40)], { capabilities: caps(0, 70) }))).toBe(70);
  });

  it.each([0, -1, Number.NaN])("refuses planPeriodMs %s", (periodMs) => {
    let caught: unknown;
    try {
      new B2CascadePidPolicy(periodMs);
    } catch (err) {
      caught = err;
    }
    expect(isCoolfleetError(caught, "CONFIG_INVALID")).toBe(true);
  });

  it("refuses negative gains", () => {
    expect(() => new B2CascadePidPolicy(1000, { fanGains: { kp: -1 } })).toThrow(/fanGains\.kp/);
  });
});

describe("B2 inputs", () => {
  it("acts on the worst trusted margin over cpu and drives, ignoring untrusted temps and inlet", () => {
    const p = () => new B2CascadePidPolicy(PLAN_PERIOD_MS, { fanGains: { kp: 10, ki: 0, kd: 0 } });
    const temps = [temp("cpu", TARGET_C + 1, "ok", "cpu0"), temp("cpu", TARGET_C + 30, "stuck", "cpu1"), temp("drive", TARGET_C + 2), temp("inlet", TARGET_C + 5)];
    expect(fanOf(p(), host(temps))).toBeCloseTo(20, 9);
  });

  it("proposes nothing without a trusted CPU temperature", () => {
    const policy = new B2CascadePidPolicy(PLAN_PERIOD_MS);
    expect(policy.plan(input(host([temp("cpu", 90, "stale"), temp("drive", 80)])))).toEqual([]);
  });

  it("runs a pump loop on cpu and coolant for a full-tier pump", () => {
    const policy = new B2CascadePidPolicy(PLAN_PERIOD_MS, { fanGains: { kp: 10, ki: 0, kd: 0 }, pumpGains: { kp: 5 } });
    const pump = { channels: 1, tier: "full", minPct: 20, maxPct: 100 } as const;
    const h = host([temp("cpu", TARGET_C - 5), temp("coolant", TARGET_C + 4), temp("drive", TARGET_C + 3)], { capabilities: caps(0, 100, pump) });
    const setpoints = policy.plan(input(h))[0]?.setpoints;
    expect(setpoints?.fanPct).toBeCloseTo(30, 9);
    expect(setpoints?.pumpPct).toBeCloseTo(20, 9);
    const monitorPump = { ...pump, tier: "monitor" } as const;
    expect(policy.plan(input(host(h.temperatures, { hostId: "h2", capabilities: caps(0, 100, monitorPump) })))[0]?.setpoints.pumpPct).toBeUndefined();
  });

  it("drives each loop from the roles its agent says the group cools", () => {
    const policy = new B2CascadePidPolicy(PLAN_PERIOD_MS, { fanGains: { kp: 10, ki: 0, kd: 0 }, pumpGains: { kp: 5, ki: 0, kd: 0 } });
    // A cold-plate host: the fans cool the drives only, so a CPU 5 °C over its target moves the pump, not the fans.
    const coldPlate = caps(0, 100, { channels: 1, tier: "full", minPct: 20, maxPct: 100, roles: ["cpu", "coolant"] });
    coldPlate.fans.roles = ["drive"];
    const cpuHot = policy.plan(input(host([temp("cpu", TARGET_C + 5), temp("coolant", TARGET_C - 10), temp("drive", TARGET_C - 2)], { capabilities: coldPlate })))[0]?.setpoints;
    expect(cpuHot?.fanPct).toBe(0);
    expect(cpuHot?.pumpPct).toBeCloseTo(25, 9);
    // The same readings on a host whose agent does not announce roles: the fans follow the CPU too.
    const unannounced = policy.plan(input(host([temp("cpu", TARGET_C + 5), temp("drive", TARGET_C - 2)], { hostId: "h2" })))[0]?.setpoints;
    expect(unannounced?.fanPct).toBeCloseTo(50, 9);
  });

  it("headroom asks for more fan than energy, feed-forward adds its bias", () => {
    const h = host([temp("cpu", TARGET_C - 1)]);
    const gains = { fanGains: { kp: 10, ki: 0, kd: 0 } };
    const energy = fanOf(new B2CascadePidPolicy(PLAN_PERIOD_MS, gains), h, ENERGY_OBJECTIVE) ?? Number.NaN;
    const headroom = fanOf(new B2CascadePidPolicy(PLAN_PERIOD_MS, gains), h, { kind: "headroom", targetOffsetC: 3, driveTargetOffsetC: 0, biasPct: 0 }) ?? Number.NaN;
    const feedforward = fanOf(new B2CascadePidPolicy(PLAN_PERIOD_MS, gains), host([temp("cpu", TARGET_C + 1)]), { kind: "feedforward", targetOffsetC: 0, driveTargetOffsetC: 0, biasPct: 15 });
    expect(energy).toBe(0);
    expect(headroom).toBeCloseTo(20, 9);
    expect(feedforward).toBeCloseTo(25, 9);
  });

  it("keeps a host's integrator through rounds it is not planned in, and drops it on forget", () => {
    const policy = new B2CascadePidPolicy(PLAN_PERIOD_MS, { fanGains: { kp: 0, ki: 1, kd: 0 } });
    const h = host([temp("cpu", TARGET_C + 1)]);
    fanOf(policy, h);
    fanOf(policy, h);
    policy.plan({ nowMs: NOW, hosts: [], objectives: new Map() });
    const kept = fanOf(policy, h);
    policy.forget([h.hostId]);
    const fresh = fanOf(policy, h);
    expect(kept).toBeGreaterThan(fresh!);
    expect(fresh).toBeCloseTo(2, 9);
  });
});
