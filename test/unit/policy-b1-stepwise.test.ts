import { describe, expect, it } from "vitest";
import type { Capabilities, ReadingQuality, SensorRole } from "../../src/protocol/index.js";
import type { HostTemperature, HostView } from "../../src/controller/types.js";
import { B1StepwisePolicy } from "../../src/controller/planner/policy-b1-stepwise.js";
import { ENERGY_OBJECTIVE, type HostObjective } from "../../src/controller/planner/objective.js";
import type { PlannerInput } from "../../src/controller/planner/policy.js";
import { DEFAULT_CURVE_STEPS, nextStepIndex, type CurveStep } from "../../src/controller/planner/stepwise-curve.js";
import { isCoolfleetError } from "../../src/core/errors.js";
import { hostView } from "../helpers/host-view.js";

const NOW = 1_700_000_000_000;
const TARGET_C = 80;
/** Three steps so every boundary is easy to see: below 0 → 30 %, 0..5 → 60 %, ≥ 5 → 100 %. */
const CURVE: readonly CurveStep[] = [
  { marginC: -10, fanPct: 30 },
  { marginC: 0, fanPct: 60 },
  { marginC: 5, fanPct: 100 },
];

function caps(over: Partial<Capabilities> = {}): Capabilities {
  return { fans: { channels: 6, tier: "full", minPct: 0, maxPct: 100 }, maxLeaseMs: 30_000, ...over };
}

function temp(role: SensorRole, marginC: number | null, quality: ReadingQuality = "ok", id = `${role}-0`): HostTemperature {
  const targetC = role === "drive" ? 45 : TARGET_C;
  return { id, role, tempC: marginC === null ? null : targetC + marginC, quality, targetC, criticalC: targetC + 15, required: role === "cpu" };
}

function host(temperatures: HostTemperature[], over: Partial<HostView> = {}): HostView {
  return hostView({ lastSeenMs: NOW, capabilities: caps(), temperatures, fanPct: 40, powerW: 200, mode: "local", ...over });
}

function input(hosts: HostView[], objective?: HostObjective): PlannerInput {
  const objectives = new Map<string, HostObjective>();
  if (objective) for (const h of hosts) objectives.set(h.hostId, objective);
  return { nowMs: NOW, hosts, objectives };
}

function fanOf(policy: B1StepwisePolicy, h: HostView, objective?: HostObjective): number | undefined {
  return policy.plan(input([h], objective))[0]?.setpoints.fanPct;
}

describe("B1 stepwise curve: each step", () => {
  it.each([
    [-30, 30],
    [-10, 30],
    [-0.1, 30],
    [0, 60],
    [4.9, 60],
    [5, 100],
    [25, 100],
  ])("a fresh zone at margin %s °C runs %s pct", (marginC, fanPct) => {
    const policy = new B1StepwisePolicy({ cpuCurve: CURVE, hysteresisC: 2 });
    expect(fanOf(policy, host([temp("cpu", marginC)]))).toBe(fanPct);
  });

  it("walks the default stock curve step by step", () => {
    for (const step of DEFAULT_CURVE_STEPS) {
      const policy = new B1StepwisePolicy();
      expect(fanOf(policy, host([temp("cpu", step.marginC)]))).toBe(step.fanPct);
    }
  });
});

describe("B1 hysteresis", () => {
  it("steps up at once but steps down only below threshold − hysteresis, to the step it still holds", () => {
    const policy = new B1StepwisePolicy({ cpuCurve: CURVE, hysteresisC: 2 });
    const rows: [marginC: number, fanPct: number][] = [
      [6, 100], // top step
      [4.9, 100], // below the 5 °C threshold, not yet below 5 − 2
      [3, 100], // exactly threshold − hysteresis: holds
      [2.9, 60], // falls out of the top step, into the middle one (it holds 0 − 2 ≤ 2.9)
      [-1.9, 60],
      [-2.1, 30],
      [-0.5, 30], // rising again but below the middle threshold: no step up yet
      [0, 60], // up at the threshold, no hysteresis on the way up
      [5, 100],
      [-1, 60], // a fall past two thresholds lands on the highest step it still holds (not the plain table's 30 %)
      [6, 100],
      [-30, 30], // a big fall drops straight to the bottom
    ];
    rows.forEach(([marginC, fanPct], i) => {
      expect(fanOf(policy, host([temp("cpu", marginC)])), `row ${i}: margin ${marginC}`).toBe(fanPct);
    });
  });

  it("with zero hysteresis it is the plain table", () => {
    const policy = new B1StepwisePolicy({ cpuCurve: CURVE, hysteresisC: 0 });
    expect(fanOf(policy, host([temp("cpu", 6)]))).toBe(100);
    expect(fanOf(policy, host([temp("cpu", 4.9)]))).toBe(60);
  });

  it("nextStepIndex never leaves the table", () => {
    expect(nextStepIndex(CURVE, 0, -100, 2)).toBe(0);
    expect(nextStepIndex(CURVE, 2, 100, 2)).toBe(2);
    expect(nextStepIndex(CURVE, undefined, -100, 2)).toBe(0);
  });

  it("keeps memory per host, also for hosts not planned this round, until told to forget", () => {
    const policy = new B1StepwisePolicy({ cpuCurve: CURVE, hysteresisC: 2 });
    const hot = host([temp("cpu", 6)]);
    const other = host([temp("cpu", -5)], { hostId: "h2" });
    policy.plan(input([hot, other]));
    // h1 holds its top step at 4 °C; h2 never had it.
    const both = policy.plan(input([host([temp("cpu", 4)]), host([temp("cpu", 4)], { hostId: "h2" })]));
    expect(both.map((p) => [p.hostId, p.setpoints.fanPct])).toEqual([
      ["h1", 100],
      ["h2", 60],
    ]);
    policy.plan(input([other])); // h1 not planned this round: its memory stays
    expect(fanOf(policy, host([temp("cpu", 4)]))).toBe(100);
    policy.forget(["h1"]);
    expect(fanOf(policy, host([temp("cpu", 4)]))).toBe(60);
  });
});

describe("B1 max over zones", () => {
  it.each([
    ["drive zone hotter", -5, 1, 60],
    ["cpu zone hotter", 6, -20, 100],
    ["both in the lowest step", -5, -5, 30],
    ["drive at the top", -5, 7, 100],
  ])("%s: cpu %s °C, drive %s °C → %s pct", (_name, cpuMarginC, driveMarginC, fanPct) => {
    const policy = new B1StepwisePolicy({ cpuCurve: CURVE, hysteresisC: 2 });
    expect(fanOf(policy, host([temp("cpu", cpuMarginC), temp("drive", driveMarginC)]))).toBe(fanPct);
  });

  it("each zone keeps its own hysteresis", () => {
    const policy = new B1StepwisePolicy({ cpuCurve: CURVE, hysteresisC: 2 });
    fanOf(policy, host([temp("cpu", -5), temp("drive", 6)]));
    // The drive zone holds 100 % at 4 °C; the cpu zone at 4 °C from below would only be 60 %.
    expect(fanOf(policy, host([temp("cpu", 4), temp("drive", 4)]))).toBe(100);
  });

  it("a drive zone with its own curve", () => {
    const policy = new B1StepwisePolicy({ cpuCurve: CURVE, driveCurve: [{ marginC: -10, fanPct: 20 }, { marginC: -3, fanPct: 80 }], hysteresisC: 2 });
    expect(fanOf(policy, host([temp("cpu", -5), temp("drive", -3)]))).toBe(80);
  });

  it("hottest sensor of a zone counts, untrusted ones are ignored", () => {
    const policy = new B1StepwisePolicy({ cpuCurve: CURVE, hysteresisC: 2 });
    const temps = [temp("cpu", -5, "ok", "cpu0"), temp("cpu", 1, "ok", "cpu1"), temp("cpu", 20, "stuck", "cpu2"), temp("drive", 20, "stale")];
    expect(fanOf(policy, host(temps))).toBe(60);
  });

  it("proposes nothing for a host without a trusted CPU temperature", () => {
    const policy = new B1StepwisePolicy({ cpuCurve: CURVE });
    expect(policy.plan(input([host([temp("cpu", 1, "missing"), temp("drive", 6)])]))).toEqual([]);
    expect(policy.plan(input([host([temp("cpu", null, "ok"), temp("drive", 6)])]))).toEqual([]);
  });
});

describe("B1 output", () => {
  it("clamps to the host's fan bounds and sets the pump from the cpu/coolant zone", () => {
    const policy = new B1StepwisePolicy({ cpuCurve: CURVE, hysteresisC: 2 });
    const liquid = caps({
      fans: { channels: 6, tier: "full", minPct: 40, maxPct: 90 },
      pump: { channels: 1, tier: "full", minPct: 20, maxPct: 100 },
    });
    const cold = policy.plan(input([host([temp("cpu", -20), temp("coolant", -20)], { capabilities: liquid })]))[0];
    expect(cold?.setpoints).toEqual({ fanPct: 40, pumpPct: 30 });
    const coolantHot = policy.plan(input([host([temp("cpu", -20), temp("coolant", 6), temp("drive", -20)], { capabilities: liquid })]))[0];
    expect(coolantHot?.setpoints).toEqual({ fanPct: 40, pumpPct: 100 });
    const hot = policy.plan(input([host([temp("cpu", 9)], { capabilities: liquid })]))[0];
    expect(hot?.setpoints.fanPct).toBe(90);
  });

  it("drives each group from the roles its agent says it cools", () => {
    // A cold-plate host: the fans cool the drives only, the pump the CPUs and the coolant.
    const coldPlate = caps({
      fans: { channels: 6, tier: "full", minPct: 20, maxPct: 100, roles: ["drive"] },
      pump: { channels: 1, tier: "full", minPct: 20, maxPct: 100, roles: ["cpu", "coolant"] },
    });
    const cpuHot = policy().plan(input([host([temp("cpu", 6), temp("coolant", -20), temp("drive", -20)], { capabilities: coldPlate })]))[0];
    expect(cpuHot?.setpoints).toEqual({ fanPct: 30, pumpPct: 100 });
    const drivesHot = policy().plan(input([host([temp("cpu", -20), temp("coolant", -20), temp("drive", 6)], { capabilities: coldPlate })]))[0];
    expect(drivesHot?.setpoints).toEqual({ fanPct: 100, pumpPct: 30 });
    // Fans that follow the exhaust air use the main curve for it; a hot CPU they do not cool leaves them alone.
    const exhaustFans = caps({ fans: { channels: 6, tier: "full", minPct: 0, maxPct: 100, roles: ["exhaust"] } });
    expect(fanOf(policy(), host([temp("cpu", 6), temp("exhaust", 1)], { capabilities: exhaustFans }))).toBe(60);
    // An agent that does not announce roles gets the defaults: CPUs and drives.
    expect(fanOf(policy(), host([temp("cpu", 6), temp("drive", -20)]))).toBe(100);

    function policy(): B1StepwisePolicy {
      return new B1StepwisePolicy({ cpuCurve: CURVE, hysteresisC: 2 });
    }
  });

  it("applies the objective: lowered targets and a feed-forward bias", () => {
    const policy = () => new B1StepwisePolicy({ cpuCurve: CURVE, hysteresisC: 2 });
    const h = host([temp("cpu", -2), temp("drive", -3)]);
    expect(fanOf(policy(), h, ENERGY_OBJECTIVE)).toBe(30);
    expect(fanOf(policy(), h, { kind: "headroom", targetOffsetC: 3, driveTargetOffsetC: 0, biasPct: 0 })).toBe(60);
    expect(fanOf(policy(), h, { kind: "drives", targetOffsetC: 0, driveTargetOffsetC: 5, biasPct: 0 })).toBe(60);
    expect(fanOf(policy(), h, { kind: "feedforward", targetOffsetC: 0, driveTargetOffsetC: 0, biasPct: 12 })).toBe(42);
  });

  it("sets ttl from the host period, capped by maxLeaseMs", () => {
    const policy = new B1StepwisePolicy({ cpuCurve: CURVE });
    expect(policy.plan(input([host([temp("cpu", 0)], { periodMs: 2000 })]))[0]?.ttlMs).toBe(6000);
    expect(policy.plan(input([host([temp("cpu", 0)], { periodMs: 20_000 })]))[0]?.ttlMs).toBe(30_000);
  });

  it.each([
    ["empty", []],
    ["unsorted", [{ marginC: 0, fanPct: 30 }, { marginC: -5, fanPct: 50 }]],
    ["falling fan", [{ marginC: 0, fanPct: 60 }, { marginC: 5, fanPct: 50 }]],
    ["non-finite", [{ marginC: Number.NaN, fanPct: 60 }]],
  ])("refuses a %s curve", (_name, cpuCurve: CurveStep[]) => {
    let caught: unknown;
    try {
      new B1StepwisePolicy({ cpuCurve });
    } catch (err) {
      caught = err;
    }
    expect(isCoolfleetError(caught, "CONFIG_INVALID")).toBe(true);
  });
});
