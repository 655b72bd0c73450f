import type { SensorRole } from "../../protocol/index.js";
import type { SetpointProposal } from "../types.js";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import { hasTrustedCpu, worstMarginC } from "./margins.js";
import { objectiveFor, type PlannerInput, type PlanningPolicy } from "./policy.js";
import { DEFAULT_LEASE_PERIODS, leaseTtlMs, setpointsFor } from "./proposal.js";
import { DEFAULT_CURVE_STEPS, nextStepIndex, validateCurve, type CurveStep } from "./stepwise-curve.js";
import { fanZone, pumpZone } from "./zones.js";

export interface B1StepwiseOptions {
  /**
   * Curve for the fans' main zone: the worst margin over the roles the fans cool other than drives (the CPUs by
   * default; the exhaust, say, on a liquid-cooled host whose agent says so).
   */
  cpuCurve?: readonly CurveStep[];
  /** Curve for the drive zone (hottest trusted drive's margin), when the fans cool drives. */
  driveCurve?: readonly CurveStep[];
  /** Curve for the pump zone (the roles the pump cools: CPUs and coolant by default), liquid-cooled hosts only. */
  pumpCurve?: readonly CurveStep[];
  /** A zone steps down only once its margin is this far below the current step's threshold (°C). */
  hysteresisC?: number;
  leasePeriods?: number;
}

export const B1_DEFAULT_HYSTERESIS_C = 2;

/** The fans' zones: drives on their own curve, everything else they cool on the main one. */
function fanZones(fanRoles: ReadonlySet<SensorRole>): { main: ReadonlySet<SensorRole>; drive: ReadonlySet<SensorRole> } {
  const main = new Set([...fanRoles].filter((role) => role !== "drive"));
  return { main, drive: new Set(fanRoles.has("drive") ? (["drive"] as const) : []) };
}

/** The step each zone of a host is on; undefined = no memory (zone unseen, or it lost its trusted sensors). */
interface ZoneSteps {
  main: number | undefined;
  drive: number | undefined;
  pump: number | undefined;
}

/**
 * B1, the stock BMC: per zone a stepwise margin → fan % curve with hysteresis, fans at the max over zones (as Dell
 * iDRAC and OpenBMC phosphor-pid-control "stepwise" controllers do). Each group answers to the sensor roles its agent
 * says it cools (fanZone, pumpZone). The objective shifts the margins (headroom,
 * drives) and adds its bias to the result (feed-forward), so B1 sees what every other policy sees.
 */
export class B1StepwisePolicy implements PlanningPolicy {
  readonly id = "b1";
  private readonly cpuCurve: readonly CurveStep[];
  private readonly driveCurve: readonly CurveStep[];
  private readonly pumpCurve: readonly CurveStep[];
  private readonly hysteresisC: number;
  private readonly leasePeriods: number;
  private readonly steps = new Map<string, ZoneSteps>();

  constructor(options: B1StepwiseOptions = {}) {
    this.cpuCurve = options.cpuCurve ?? DEFAULT_CURVE_STEPS;
    this.driveCurve = options.driveCurve ?? this.cpuCurve;
    this.pumpCurve = options.pumpCurve ?? this.cpuCurve;
    validateCurve(this.cpuCurve, "cpuCurve");
    validateCurve(this.driveCurve, "driveCurve");
    validateCurve(this.pumpCurve, "pumpCurve");
    this.hysteresisC = options.hysteresisC ?? B1_DEFAULT_HYSTERESIS_C;
    if (!Number.isFinite(this.hysteresisC) || this.hysteresisC < 0) {
      throw new CoolfleetError(ErrorCode.ConfigInvalid, `b1 hysteresisC must be a number ≥ 0 °C, got ${this.hysteresisC}`);
    }
    this.leasePeriods = options.leasePeriods ?? DEFAULT_LEASE_PERIODS;
  }

  plan(input: PlannerInput): SetpointProposal[] {
    const proposals: SetpointProposal[] = [];
    for (const host of input.hosts) {
      if (!hasTrustedCpu(host)) continue;
      const objective = objectiveFor(input, host.hostId);
      const previous = this.steps.get(host.hostId);
      const fans = fanZones(fanZone(host.capabilities));
      const next: ZoneSteps = {
        main: this.step(this.cpuCurve, previous?.main, worstMarginC(host, fans.main, objective)),
        drive: this.step(this.driveCurve, previous?.drive, worstMarginC(host, fans.drive, objective)),
        pump: this.step(this.pumpCurve, previous?.pump, worstMarginC(host, pumpZone(host.capabilities), objective)),
      };
      this.steps.set(host.hostId, next);
      const fanPct = Math.max(pctAt(this.cpuCurve, next.main), pctAt(this.driveCurve, next.drive)) + objective.biasPct;
      const pumpPct = next.pump === undefined ? undefined : pctAt(this.pumpCurve, next.pump) + objective.biasPct;
      const setpoints = setpointsFor(host.capabilities, fanPct, pumpPct);
      if (setpoints) proposals.push({ hostId: host.hostId, setpoints, ttlMs: leaseTtlMs(host, this.leasePeriods) });
    }
    return proposals;
  }

  forget(hostIds: Iterable<string>): void {
    for (const hostId of hostIds) this.steps.delete(hostId);
  }

  private step(curve: readonly CurveStep[], current: number | undefined, marginC: number | undefined): number | undefined {
    // A zone without trusted sensors contributes nothing and starts afresh when they return.
    return marginC === undefined ? undefined : nextStepIndex(curve, current, marginC, this.hysteresisC);
  }
}

/** Fan % of a zone's step; a zone without a step does not raise the max. */
function pctAt(curve: readonly CurveStep[], index: number | undefined): number {
  return index === undefined ? 0 : (curve[index]?.fanPct ?? 100);
}
