import { describe, expect, it } from "vitest";
import { FallbackHeadroom, MpcFallback } from "../../src/controller/planner/policy-mpc-fallback.js";
import { ENERGY_OBJECTIVE, type HostObjective } from "../../src/controller/planner/objective.js";
import { MpcPolicy } from "../../src/controller/planner/policy-mpc.js";
import type { HostTemperature, HostView } from "../../src/controller/types.js";
import { cpuTemp, hostView, inletTemp } from "../helpers/host-view.js";

const DRIVES: HostObjective = { kind: "drives", targetOffsetC: 0, driveTargetOffsetC: 5, biasPct: 0 };
const HEADROOM: HostObjective = { kind: "headroom", targetOffsetC: 2, driveTargetOffsetC: 0, biasPct: 0 };

function drive(tempC: number, quality: HostTemperature["quality"] = "ok"): HostTemperature {
  return { id: "sda", role: "drive", tempC, quality, targetC: 50, criticalC: 58, required: false };
}

/** Host h1 under full load, its CPU (target 90 °C) at cpuC, a 25 °C inlet, and its fans at fanPct. */
function loaded(cpuC: number, fanPct = 60, extra: HostTemperature[] = []): HostView {
  return hostView({ temperatures: [cpuTemp(cpuC), inletTemp(25), ...extra], fanPct, cpuUtilPct: 95, powerW: 500 });
}

describe("the fallback's headroom (the Cooling band, host by host, at once)", () => {
  it("plans a host within 3 °C of its CPU target with the headroom objective (targets 3 °C lower)", () => {
    const headroom = new FallbackHeadroom();
    expect(headroom.objectiveFor(loaded(86.9), ENERGY_OBJECTIVE)).toBe(ENERGY_OBJECTIVE);
    const near = headroom.objectiveFor(loaded(87.5), ENERGY_OBJECTIVE);
    expect(near).toEqual({ kind: "headroom", targetOffsetC: 3, driveTargetOffsetC: 0, biasPct: 0 });
  });

  it("keeps the headroom until every reading is 5 °C under its target (the state machine's hysteresis)", () => {
    const headroom = new FallbackHeadroom();
    headroom.objectiveFor(loaded(88), ENERGY_OBJECTIVE);
    expect(headroom.objectiveFor(loaded(85.5), ENERGY_OBJECTIVE).kind).toBe("headroom");
    expect(headroom.objectiveFor(loaded(85), ENERGY_OBJECTIVE).kind).toBe("energy");
    expect(headroom.objectiveFor(loaded(86), ENERGY_OBJECTIVE).kind).toBe("energy");
  });

  it("watches the drives too, and a hot drive outranks the drives objective (Cooling before DataStorage)", () => {
    const headroom = new FallbackHeadroom();
    expect(headroom.objectiveFor(loaded(70, 60, [drive(44)]), DRIVES)).toBe(DRIVES);
    expect(headroom.objectiveFor(loaded(70, 60, [drive(48)]), DRIVES).kind).toBe("headroom");
  });

  it("keeps its verdict while no trusted reading says otherwise, and forgets a host", () => {
    const headroom = new FallbackHeadroom();
    headroom.objectiveFor(loaded(89), ENERGY_OBJECTIVE);
    const blind = hostView({ temperatures: [cpuTemp(null), inletTemp(25)] });
    expect(headroom.objectiveFor(blind, ENERGY_OBJECTIVE).kind).toBe("headroom");
    headroom.forget(["h1"]);
    expect(headroom.objectiveFor(blind, ENERGY_OBJECTIVE)).toBe(ENERGY_OBJECTIVE);
  });

  it("leaves a host the state machine already gave headroom as it is", () => {
    expect(new FallbackHeadroom().objectiveFor(loaded(89), HEADROOM)).toBe(HEADROOM);
  });
});

describe("MPC's fallback with the headroom", () => {
  // A fully loaded host 2 °C under its target at 60 % fan, in its warm-up minute: B1's step for "0 to 5 °C under"
  // is 55 %, its step for "0 to 3 °C over" 70 %.
  const firstRound = (policy: MpcPolicy, host: HostView): number | undefined =>
    policy.plan({ nowMs: 0, hosts: [host], objectives: new Map([["h1", ENERGY_OBJECTIVE]]) })[0]?.setpoints.fanPct;

  it("plans a warming-up host near its target as Cooling would: B1 on targets 3 °C lower (default)", () => {
    expect(firstRound(new MpcPolicy(undefined, { planPeriodMs: 1000 }), loaded(88))).toBe(70);
  });

  it("leaves the energy objective to B1 when the headroom is off", () => {
    expect(firstRound(new MpcPolicy(undefined, { planPeriodMs: 1000, fallbackHeadroom: false }), loaded(88))).toBe(55);
  });

  it("holds the guard to the headroom's targets: a host over them keeps the fans it runs", () => {
    const fallback = new MpcFallback({ baseline: "b1", planPeriodMs: 1000, noCutWhileHot: true, headroom: true });
    const [proposal] = fallback.plan({ nowMs: 0, hosts: [], objectives: new Map() }, [loaded(88, 80)]);
    expect(proposal?.setpoints.fanPct).toBe(80);
  });
});
