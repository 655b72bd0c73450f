import { describe, expect, it } from "vitest";
import type { Capabilities, ReadingQuality, SensorRole } from "../../src/protocol/index.js";
import { HOST_STATES, type HostStateName, type HostTemperature, type HostView, type SetpointProposal } from "../../src/controller/types.js";
import { Planner } from "../../src/controller/planner/planner.js";
import type { PlannerInput, PlanningPolicy } from "../../src/controller/planner/policy.js";
import { B1StepwisePolicy } from "../../src/controller/planner/policy-b1-stepwise.js";
import { B2CascadePidPolicy } from "../../src/controller/planner/policy-b2-pid.js";
import { objectiveKindForState, type PlanningObjective } from "../../src/controller/planner/objective.js";
import { UtilisationTrend } from "../../src/controller/planner/utilisation-trend.js";
import { hostView } from "../helpers/host-view.js";

const NOW = 1_700_000_000_000;

type Pump = NonNullable<Capabilities["pump"]>;

function caps(fanTier: Capabilities["fans"]["tier"] = "full", pump?: Partial<Pump>): Capabilities {
  return {
    fans: { channels: 6, tier: fanTier, minPct: 0, maxPct: 100 },
    ...(pump ? { pump: { channels: 1, tier: "full", minPct: 10, maxPct: 100, ...pump } } : {}),
    maxLeaseMs: 30_000,
  };
}

function temp(role: SensorRole, tempC: number, quality: ReadingQuality = "ok"): HostTemperature {
  const targetC = role === "drive" ? 45 : 80;
  return { id: `${role}-0`, role, tempC, quality, targetC, criticalC: targetC + 15, required: role === "cpu" };
}

function host(over: Partial<HostView> = {}): HostView {
  // CPU 2 °C below target, drive 3 °C below target.
  return hostView({ lastSeenMs: NOW, capabilities: caps(), temperatures: [temp("cpu", 78), temp("drive", 42)], fanPct: undefined, powerW: 200, mode: "local", ...over });
}

/** A policy that proposes what it is told and records what it was asked. */
class ScriptedPolicy implements PlanningPolicy {
  readonly id = "scripted";
  readonly inputs: PlannerInput[] = [];
  readonly forgotten: string[] = [];
  constructor(private readonly respond: (input: PlannerInput) => SetpointProposal[]) {}
  plan(input: PlannerInput): SetpointProposal[] {
    this.inputs.push(input);
    return this.respond(input);
  }
  forget(hostIds: Iterable<string>): void {
    this.forgotten.push(...hostIds);
  }
}

const fanForAll = (fanPct: number, ttlMs = 3000) => (input: PlannerInput) => input.hosts.map((h) => ({ hostId: h.hostId, setpoints: { fanPct, pumpPct: fanPct }, ttlMs }));

const policies: [string, () => PlanningPolicy][] = [
  ["b1", () => new B1StepwisePolicy()],
  ["b2", () => new B2CascadePidPolicy(1000, { fanGains: { kp: 5, ki: 0, kd: 0 } })],
];

function fanFor(planner: Planner, h: HostView, nowMs = NOW): number | undefined {
  return planner.plan(nowMs, [h])[0]?.setpoints.fanPct;
}

describe("objective by host state", () => {
  it.each<[HostStateName, PlanningObjective | undefined]>([
    ["Running", "energy"],
    ["Cooling", "headroom"],
    ["Scaling", "feedforward"],
    ["DataStorage", "drives"],
    ["Error", "safety"],
    ["Setup", undefined],
    ["Decommissioned", undefined],
  ])("%s → %s", (state, objective) => {
    expect(objectiveKindForState(state)).toBe(objective);
  });

  it("covers every host state", () => {
    const planned = new Set(HOST_STATES.map((s) => objectiveKindForState(s) ?? "skip"));
    expect([...planned].sort()).toEqual(["drives", "energy", "feedforward", "headroom", "safety", "skip"]);
  });

  it("hands the policy the objective of each planned host", () => {
    const policy = new ScriptedPolicy(() => []);
    new Planner(policy).plan(NOW, [
      host({ hostId: "run", state: "Running" }),
      host({ hostId: "cool", state: "Cooling" }),
      host({ hostId: "data", state: "DataStorage" }),
      host({ hostId: "err", state: "Error" }),
    ]);
    const input = policy.inputs[0];
    expect(input?.hosts.map((h) => h.hostId)).toEqual(["run", "cool", "data"]);
    expect(input?.objectives.get("run")).toMatchObject({ kind: "energy", targetOffsetC: 0, driveTargetOffsetC: 0, biasPct: 0 });
    expect(input?.objectives.get("cool")).toMatchObject({ kind: "headroom", targetOffsetC: 3 });
    expect(input?.objectives.get("data")).toMatchObject({ kind: "drives", driveTargetOffsetC: 5 });
    expect(input?.objectives.has("err")).toBe(false);
  });
});

describe.each(policies)("the objective changes what %s proposes", (_id, makePolicy) => {
  it("Cooling (headroom) asks for more fan than Running (energy) on the same input", () => {
    const energy = fanFor(new Planner(makePolicy()), host({ state: "Running" })) ?? Number.NaN;
    const headroom = fanFor(new Planner(makePolicy()), host({ state: "Cooling" })) ?? Number.NaN;
    expect(headroom).toBeGreaterThan(energy);
  });

  it("DataStorage (drives) asks for more fan than Running when the drives lead", () => {
    const temps = [temp("cpu", 60), temp("drive", 42)];
    const energy = fanFor(new Planner(makePolicy()), host({ state: "Running", temperatures: temps })) ?? Number.NaN;
    const drives = fanFor(new Planner(makePolicy()), host({ state: "DataStorage", temperatures: temps })) ?? Number.NaN;
    expect(drives).toBeGreaterThan(energy);
  });

  it("Scaling (feed-forward) adds a bias once utilisation rises above its baseline", () => {
    const run = (state: HostStateName): (number | undefined)[] => {
      const planner = new Planner(makePolicy());
      return [20, 60, 60].map((cpuUtilPct, i) => fanFor(planner, host({ state, cpuUtilPct, temperatures: [temp("cpu", 80)] }), NOW + i * 1000));
    };
    const [steady0, steady1, steady2] = run("Running");
    const [ff0, ff1, ff2] = run("Scaling");
    expect(ff0).toBe(steady0);
    // Rise 40 points × 0.5 %/point = 20 %, fading as the baseline catches up.
    expect((ff1 ?? Number.NaN) - (steady1 ?? Number.NaN)).toBeCloseTo(20, 9);
    expect((ff2 ?? Number.NaN) - (steady2 ?? Number.NaN)).toBeGreaterThan(0);
    expect((ff2 ?? Number.NaN) - (steady2 ?? Number.NaN)).toBeLessThan(20);
  });
});

describe("which hosts are planned", () => {
  it.each<[string, Partial<HostView>, string | undefined]>([
    ["Running, full fans", {}, undefined],
    ["Error", { state: "Error" }, "state-error"],
    ["Setup", { state: "Setup" }, "state-setup"],
    ["Decommissioned", { state: "Decommissioned" }, "state-decommissioned"],
    ["offline", { online: false }, "offline"],
    ["no birth yet", { capabilities: undefined }, "no-capabilities"],
    ["monitor-tier fans", { capabilities: caps("monitor") }, "not-controllable"],
    ["floor-tier fans", { capabilities: caps("floor") }, "not-controllable"],
    ["monitor fans, monitor pump", { capabilities: caps("monitor", { tier: "monitor" }) }, "not-controllable"],
  ])("%s → %s", (_name, over, reason) => {
    const h = host(over);
    const planner = new Planner(new B1StepwisePolicy());
    expect(planner.skipReason(h)).toBe(reason);
    // What operators see: the policy that plans the host, or no one and why.
    expect(planner.routeOf(h)).toEqual(reason === undefined ? { policy: "b1" } : { policy: null, reason });
    expect(planner.plan(NOW, [h])).toHaveLength(reason === undefined ? 1 : 0);
  });

  it("Error sends nothing, even when the policy proposes for it", () => {
    const policy = new ScriptedPolicy(() => [{ hostId: "h1", setpoints: { fanPct: 100 }, ttlMs: 3000 }]);
    expect(new Planner(policy).plan(NOW, [host({ state: "Error" })])).toEqual([]);
    expect(policy.inputs[0]?.hosts).toEqual([]);
  });

  it("drives only the actuators at full tier", () => {
    const planner = new Planner(new ScriptedPolicy(fanForAll(50)));
    const [fansOnly, pumpOnly, both] = planner.plan(NOW, [
      host({ hostId: "a", capabilities: caps("full", { tier: "monitor" }) }),
      host({ hostId: "b", capabilities: caps("floor", { tier: "full" }) }),
      host({ hostId: "c", capabilities: caps("full", { tier: "full" }) }),
    ]);
    expect(fansOnly?.setpoints).toEqual({ fanPct: 50 });
    expect(pumpOnly?.setpoints).toEqual({ pumpPct: 50 });
    expect(both?.setpoints).toEqual({ fanPct: 50, pumpPct: 50 });
  });
});

describe("what leaves the planner", () => {
  it("clamps set-points to the host's bounds", () => {
    const bounded: Capabilities = { fans: { channels: 2, tier: "full", minPct: 30, maxPct: 90 }, pump: { channels: 1, tier: "full", minPct: 20, maxPct: 80 }, maxLeaseMs: 30_000 };
    expect(new Planner(new ScriptedPolicy(fanForAll(150))).plan(NOW, [host({ capabilities: bounded })])[0]?.setpoints).toEqual({ fanPct: 90, pumpPct: 80 });
    expect(new Planner(new ScriptedPolicy(fanForAll(-5))).plan(NOW, [host({ capabilities: bounded })])[0]?.setpoints).toEqual({ fanPct: 30, pumpPct: 20 });
  });

  it.each([
    ["the policy's ttl", 4000, 1000, 4000],
    ["capped at maxLeaseMs", 1e9, 1000, 30_000],
    ["3 periods when the policy gives none", Number.NaN, 2000, 6000],
    ["3 periods capped at maxLeaseMs", 0, 20_000, 30_000],
  ])("ttl: %s", (_name, proposedTtlMs, periodMs, ttlMs) => {
    const planner = new Planner(new ScriptedPolicy(fanForAll(50, proposedTtlMs)));
    expect(planner.plan(NOW, [host({ periodMs })])[0]?.ttlMs).toBe(ttlMs);
  });

  it("the baselines propose 3 host periods", () => {
    expect(new Planner(new B1StepwisePolicy()).plan(NOW, [host({ periodMs: 2000 })])[0]?.ttlMs).toBe(6000);
    expect(new Planner(new B2CascadePidPolicy(1000)).plan(NOW, [host({ periodMs: 2000 })])[0]?.ttlMs).toBe(6000);
  });

  it("drops proposals for unplanned or unknown hosts, and duplicates", () => {
    const policy = new ScriptedPolicy(() => [
      { hostId: "h1", setpoints: { fanPct: 40 }, ttlMs: 3000 },
      { hostId: "h1", setpoints: { fanPct: 90 }, ttlMs: 3000 },
      { hostId: "ghost", setpoints: { fanPct: 90 }, ttlMs: 3000 },
      { hostId: "err", setpoints: { fanPct: 90 }, ttlMs: 3000 },
    ]);
    const proposals = new Planner(policy).plan(NOW, [host(), host({ hostId: "err", state: "Error" })]);
    expect(proposals).toEqual([{ hostId: "h1", setpoints: { fanPct: 40 }, ttlMs: 3000 }]);
  });

  it("accepts tuning of the objectives", () => {
    const policy = new ScriptedPolicy(() => []);
    new Planner(policy, { tuning: { headroomC: 6 } }).plan(NOW, [host({ state: "Cooling" })]);
    expect(policy.inputs[0]?.objectives.get("h1")?.targetOffsetC).toBe(6);
  });
});

describe("UtilisationTrend", () => {
  it("measures the rise above an exponential baseline and forgets hosts", () => {
    const trend = new UtilisationTrend(10_000);
    expect(trend.observe("h", 20, 0)).toBe(0);
    expect(trend.observe("h", 60, 10_000)).toBe(40);
    // Baseline moved 1 − e^−1 of the way: 20 + 40 · 0.632 = 45.3.
    expect(trend.observe("h", 60, 10_000)).toBeCloseTo(40 * Math.exp(-1), 9);
    expect(trend.observe("h", null, 20_000)).toBe(0);
    trend.retain(new Set());
    expect(trend.observe("h", 90, 30_000)).toBe(0);
  });
});

describe("partial planning rounds", () => {
  it("plans only the hosts with fresh telemetry and tells the policy to forget only hosts that left", () => {
    const policy = new ScriptedPolicy(fanForAll(50));
    const planner = new Planner(policy);
    const a = host({ hostId: "a" });
    const b = host({ hostId: "b" });
    planner.plan(NOW, [a, b]);
    expect(planner.plan(NOW + 1000, [a, b], new Set(["b"])).map((p) => p.hostId)).toEqual(["b"]);
    expect(policy.inputs.at(-1)!.hosts.map((h) => h.hostId)).toEqual(["b"]);
    expect(policy.forgotten).toEqual([]);
    planner.plan(NOW + 2000, [a, { ...b, online: false }], new Set(["a"]));
    expect(policy.forgotten).toEqual(["b"]);
  });
});

