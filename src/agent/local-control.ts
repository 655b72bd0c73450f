import PidController from "node-pid-controller";
import { describeActuatorGroup } from "../config/describe-group.js";
import type { ActuatorGroupConfig, PidConfig } from "../config/agent-schema.js";
import type { SensorRole } from "../protocol/index.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import { worstMarginC, type ControlledTemp } from "./controlled-sensors.js";

/**
 * L2: a PID loop on the worst margin (tempC − targetC) of the sensors this actuator group cools, driven toward 0.
 * The output is a demand in percent; the safety governor (L1) still bounds, slews and overrides it.
 */
export class LocalController {
  private readonly pid: PidController;
  private readonly roles: ReadonlySet<SensorRole>;
  private readonly minPct: number;
  private readonly maxPct: number;
  /** False until lastError holds a real error, so the first update (or the first after a gap) has no derivative kick. */
  private primed = false;
  private lastMarginC: number | undefined;

  constructor(pid: PidConfig, group: ActuatorGroupConfig, periodMs: number) {
    if (!Number.isFinite(periodMs) || periodMs <= 0) {
      throw new CoolfleetError(ErrorCode.ConfigInvalid, `periodMs must be a positive number of milliseconds, got ${periodMs}`);
    }
    if (group.minPct > group.maxPct) {
      throw new CoolfleetError(
        ErrorCode.ConfigInvalid,
        `actuator group (${describeActuatorGroup(group)}): minPct ${group.minPct} is above maxPct ${group.maxPct}; swap or fix them`,
      );
    }
    this.roles = new Set(group.roles);
    this.minPct = group.minPct;
    this.maxPct = group.maxPct;
    this.pid = new PidController({
      k_p: pid.kp,
      k_i: pid.ki,
      k_d: pid.kd,
      // Fixed dt: without it the library measures Date.now(), which makes the loop depend on scheduling jitter
      // and on wall-clock steps, and makes runs unreproducible.
      dt: periodMs / 1000,
      // Belt to the conditional integration below: the integral term alone never exceeds maxPct.
      i_max: pid.ki > 0 ? group.maxPct / pid.ki : 0,
    });
  }

  /** Demanded pct for this period, or undefined when no trusted sensor in the group's roles is left (L1 then fails safe). */
  update(temps: readonly ControlledTemp[]): number | undefined {
    const marginC = worstMarginC(temps, this.roles);
    if (marginC === undefined) {
      // The next valid error is unrelated to the last one: do not differentiate across the gap.
      this.primed = false;
      return undefined;
    }
    // The library computes e = target − current; with target 0 and current = −margin, e = margin,
    // so a sensor above its target gives a positive (more cooling) output.
    const errorC = marginC;
    if (!this.primed) {
      this.pid.lastError = errorC;
      this.primed = true;
    }
    const sumBefore = this.pid.sumError;
    let outPct = this.pid.update(-marginC);
    const ki = this.pid.k_i;
    // Anti-windup by conditional integration: this step may integrate only up to the point where the output
    // reaches its bound, never past it (and never unwinds what was there before). The integrator then holds the
    // level the plant needed when it saturated, so the loop leaves saturation as soon as the error changes sign.
    if (ki > 0 && outPct > this.maxPct && errorC > 0) {
      const sum = Math.max(sumBefore, this.pid.sumError - (outPct - this.maxPct) / ki);
      outPct += ki * (sum - this.pid.sumError);
      this.pid.sumError = sum;
    } else if (ki > 0 && outPct < this.minPct && errorC < 0) {
      const sum = Math.min(sumBefore, this.pid.sumError + (this.minPct - outPct) / ki);
      outPct += ki * (sum - this.pid.sumError);
      this.pid.sumError = sum;
    }
    this.lastMarginC = marginC;
    if (!Number.isFinite(outPct)) return undefined;
    return Math.min(this.maxPct, Math.max(this.minPct, outPct));
  }

  /**
   * Bumpless transfer: when local control takes over (from a controller lease, the override or failsafe), set the
   * integrator so the next output is ≈ pct for the current margin instead of jumping. The margin comes from temps
   * when given, else from the last update. With ki = 0 there is no integrator and the transfer cannot be bumpless.
   */
  bumpTo(pct: number, temps?: readonly ControlledTemp[]): void {
    if (!Number.isFinite(pct)) return;
    const targetPct = Math.min(this.maxPct, Math.max(this.minPct, pct));
    const marginC = (temps ? worstMarginC(temps, this.roles) : undefined) ?? this.lastMarginC ?? 0;
    if (this.pid.k_i > 0) {
      const sum = (targetPct - this.pid.k_p * marginC) / this.pid.k_i;
      const limit = this.pid.i_max > 0 ? this.pid.i_max : Infinity;
      this.pid.sumError = Math.max(-limit, Math.min(limit, sum));
    }
    this.primed = false;
  }
}
