import { describe, expect, it } from "vitest";
import { noCutWhileHot } from "../../src/controller/planner/no-cut-while-hot.js";
import { ENERGY_OBJECTIVE, type HostObjective } from "../../src/controller/planner/objective.js";
import { MpcPolicy } from "../../src/controller/planner/policy-mpc.js";
import type { Capabilities, SensorRole } from "../../src/protocol/index.js";
import type { HostTemperature, HostView, SetpointProposal } from "../../src/controller/types.js";
import { fanCapabilities, hostView, inletTemp } from "../helpers/host-view.js";

const AIR: Capabilities = fanCapabilities(20, 90);
const COLD_PLATE: Capabilities = {
  fans: { channels: 6, tier: "full", minPct: 20, maxPct: 100, roles: ["drive"] },
  pump: { channels: 1, tier: "full", minPct: 30, maxPct: 100, roles: ["cpu", "coolant"] },
  maxLeaseMs: 30_000,
};

function temp(role: SensorRole, tempC: number, targetC: number, quality: HostTemperature["quality"] = "ok"): HostTemperature {
  return { id: `${role}0`, role, tempC, quality, targetC, criticalC: targetC + 8, required: role === "cpu" };
}

function host(temperatures: HostTemperature[], over: Partial<HostView> = {}): HostView {
  return hostView({ capabilities: AIR, temperatures, fanPct: 85, cpuUtilPct: 95, powerW: 500, ...over });
}

function proposal(setpoints: SetpointProposal["setpoints"]): SetpointProposal {
  return { hostId: "h1", setpoints, ttlMs: 3000 };
}

describe("the fallback's guard: no cut while hot", () => {
  it("keeps the fans of a host at or over its target at what it runs now", () => {
    const hot = host([temp("cpu", 91, 90)]);
    expect(noCutWhileHot(proposal({ fanPct: 70 }), hot, ENERGY_OBJECTIVE).setpoints).toEqual({ fanPct: 85 });
    expect(noCutWhileHot(proposal({ fanPct: 70 }), host([temp("cpu", 90, 90)]), ENERGY_OBJECTIVE).setpoints).toEqual({ fanPct: 85 });
    // More cooling than the host runs passes unchanged.
    expect(noCutWhileHot(proposal({ fanPct: 88 }), hot, ENERGY_OBJECTIVE).setpoints).toEqual({ fanPct: 88 });
  });

  it("leaves a host below its target, or whose hot sensor is untrusted, to the baseline", () => {
    expect(noCutWhileHot(proposal({ fanPct: 40 }), host([temp("cpu", 89.5, 90)]), ENERGY_OBJECTIVE).setpoints).toEqual({ fanPct: 40 });
    expect(noCutWhileHot(proposal({ fanPct: 40 }), host([temp("cpu", 80, 90), temp("cpu", 95, 90, "out_of_range")]), ENERGY_OBJECTIVE).setpoints).toEqual({ fanPct: 40 });
  });

  it("uses the objective's lowered targets: a host in Cooling counts as hot 3 °C earlier", () => {
    const headroom: HostObjective = { kind: "headroom", targetOffsetC: 3, driveTargetOffsetC: 0, biasPct: 0 };
    expect(noCutWhileHot(proposal({ fanPct: 60 }), host([temp("cpu", 88, 90)]), headroom).setpoints).toEqual({ fanPct: 85 });
  });

  it("clamps to the host's bounds: an override above maxPct is not copied", () => {
    expect(noCutWhileHot(proposal({ fanPct: 70 }), host([temp("cpu", 95, 90)], { fanPct: 100 }), ENERGY_OBJECTIVE).setpoints).toEqual({ fanPct: 90 });
  });

  it("guards each group by the roles it cools: a hot CPU on cold plates holds the pump, not the fans", () => {
    const h = host([temp("cpu", 86, 85), temp("drive", 40, 62), temp("coolant", 35, 45)], { capabilities: COLD_PLATE, fanPct: 50, pumpPct: 80 });
    expect(noCutWhileHot(proposal({ fanPct: 20, pumpPct: 55 }), h, ENERGY_OBJECTIVE).setpoints).toEqual({ fanPct: 20, pumpPct: 80 });
  });
});

describe("MPC's fallback with the guard", () => {
  // A host that starts over its target with its own firmware's fans at 85 %: B1's step for "0 to 3 °C over" is 70 %.
  const hot = host([temp("cpu", 91, 90), inletTemp(25)]);
  const firstRound = (policy: MpcPolicy): number | undefined =>
    policy.plan({ nowMs: 0, hosts: [hot], objectives: new Map([["h1", ENERGY_OBJECTIVE]]) })[0]?.setpoints.fanPct;

  it("does not turn down the fans of a warming-up host that is over its target (default)", () => {
    expect(firstRound(new MpcPolicy(undefined, { planPeriodMs: 1000 }))).toBe(85);
  });

  it("leaves B1's curve as it is when the guard is off", () => {
    // Without the headroom too, which would put this host 4 °C over its lowered target, on B1's 85 % step.
    expect(firstRound(new MpcPolicy(undefined, { planPeriodMs: 1000, fallbackNoCutWhileHot: false, fallbackHeadroom: false }))).toBe(70);
  });

  it("with the headroom alone, plans the host on B1's step for its lowered target", () => {
    expect(firstRound(new MpcPolicy(undefined, { planPeriodMs: 1000, fallbackNoCutWhileHot: false }))).toBe(85);
  });
});
