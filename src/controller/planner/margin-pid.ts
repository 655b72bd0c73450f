import PidController from "node-pid-controller";

/** PID gains in % per °C (kp), % per °C·s (ki) and % per °C/s (kd). */
export interface PidGains {
  kp: number;
  ki: number;
  kd: number;
}

/**
 * One temperature → actuator % loop on a worst margin (tempC − targetC), driven toward 0, with output bounds and
 * anti-windup. node-pid-controller does the PID arithmetic; the bounds and the integrator discipline live here.
 */
export class MarginPid {
  private readonly pid: PidController;
  /** False until lastError holds a real error, so the first update has no derivative kick. */
  private primed = false;

  constructor(
    gains: PidGains,
    dtS: number,
    readonly minPct: number,
    readonly maxPct: number,
  ) {
    this.pid = new PidController({
      k_p: gains.kp,
      k_i: gains.ki,
      k_d: gains.kd,
      // Fixed dt: otherwise the library measures Date.now() and the loop depends on scheduling jitter and clock steps.
      dt: dtS,
      // Belt to the conditional integration below: the integral term alone never exceeds maxPct.
      i_max: gains.ki > 0 ? maxPct / gains.ki : 0,
    });
  }

  /** Demanded % for this period (biasPct added before the bounds), clamped to [minPct, maxPct]. */
  update(marginC: number, biasPct = 0): number {
    // The library computes e = target − current; with target 0 and current = −margin, e = margin, so a sensor
    // above its target gives a positive (more cooling) output.
    if (!this.primed) {
      this.pid.lastError = marginC;
      this.primed = true;
    }
    const ki = this.pid.k_i;
    const sumBefore = this.pid.sumError;
    let outPct = this.pid.update(-marginC) + biasPct;
    // Anti-windup by conditional integration: a step may integrate only up to where the output reaches its bound,
    // never past it, so the loop leaves saturation as soon as the error changes sign.
    if (ki > 0 && outPct > this.maxPct && marginC > 0) {
      const sum = Math.max(sumBefore, this.pid.sumError - (outPct - this.maxPct) / ki);
      outPct += ki * (sum - this.pid.sumError);
      this.pid.sumError = sum;
    } else if (ki > 0 && outPct < this.minPct && marginC < 0) {
      const sum = Math.min(sumBefore, this.pid.sumError + (this.minPct - outPct) / ki);
      outPct += ki * (sum - this.pid.sumError);
      this.pid.sumError = sum;
    }
    if (!Number.isFinite(outPct)) return this.maxPct;
    return Math.min(this.maxPct, Math.max(this.minPct, outPct));
  }

  /**
   * Bumpless start: set the integrator so the next output for marginC is ≈ pct (what the host runs at now under its
   * own control), instead of a jump from an empty integrator. Without an integral term there is nothing to set.
   */
  startAt(pct: number, marginC: number, biasPct = 0): void {
    const ki = this.pid.k_i;
    if (ki <= 0 || !Number.isFinite(pct) || !Number.isFinite(marginC)) return;
    const targetPct = Math.min(this.maxPct, Math.max(this.minPct, pct));
    const sum = (targetPct - biasPct - this.pid.k_p * marginC) / ki;
    const limit = this.pid.i_max > 0 ? this.pid.i_max : Infinity;
    this.pid.sumError = Math.max(-limit, Math.min(limit, sum));
  }

  /** The integrator's state, for tests and diagnostics. */
  get integralSum(): number {
    return this.pid.sumError;
  }
}
