import type { Clock, TimerHandle } from "../../src/core/clock.js";
import type { LiquidLoopState } from "../physics/types.js";

/**
 * What a CDU mode does with the pumps:
 * - manual: the host's duty set-point, for as long as the host keeps renewing it (the lease);
 * - hold_temp: a proportional curve on the coolant return temperature around the target temperature;
 * - hold_flow: a PI loop on flow toward the target flow (compensates a worn pump);
 * - default_duty: a fixed duty;
 * - stop: pumps commanded off.
 */
export type CduBehaviour = "manual" | "hold_temp" | "hold_flow" | "default_duty" | "stop";

/** Behaviours for the mode names the built-in maps use. */
export const DEFAULT_MODE_BEHAVIOURS: Readonly<Record<string, CduBehaviour>> = {
  manual: "manual",
  auto: "default_duty",
  auto1: "hold_temp",
  auto2: "hold_flow",
  system_stop: "stop",
};

export interface CduFirmwareOptions {
  clock: Clock;
  /** Mode names (as the register map has them) and what each does. */
  behaviours: Readonly<Record<string, CduBehaviour>>;
  /** The automatic mode at power-on and after a lapsed manual lease (unless another automatic mode was active). */
  autoMode: string;
  /** A manual set-point not renewed for this long lapses back to automatic. */
  leaseS: number;
  defaultDutyPct: number;
  targetTempC: number;
  targetFlowLpm: number;
  /** Pump duty change per kelvin of return temperature above target, in hold_temp. */
  tempGainPctPerK?: number;
}

const FLOW_KP_PCT_PER_LPM = 10;
const FLOW_KI_PCT_PER_LPM_S = 5;

/** The CDU's own control logic: modes, the manual lease, and the automatic pump loops. */
export class CduFirmware {
  private readonly opts: CduFirmwareOptions;
  private currentMode: string;
  /** The automatic mode to fall back to when a manual lease lapses. */
  private lastAutoMode: string;
  private leaseTimer: TimerHandle | undefined;
  private flowIntegralPct: number;
  dutySetpointPct: number;
  targetTempC: number;
  targetFlowLpm: number;
  /** Manual leases that ran out. */
  leaseLapses = 0;

  constructor(opts: CduFirmwareOptions) {
    for (const mode of [opts.autoMode]) {
      if (!opts.behaviours[mode] || opts.behaviours[mode] === "manual") throw new RangeError(`CDU: auto mode "${mode}" must have an automatic behaviour`);
    }
    this.opts = opts;
    this.currentMode = opts.autoMode;
    this.lastAutoMode = opts.autoMode;
    this.dutySetpointPct = opts.defaultDutyPct;
    this.targetTempC = opts.targetTempC;
    this.targetFlowLpm = opts.targetFlowLpm;
    this.flowIntegralPct = opts.defaultDutyPct;
  }

  mode(): string {
    return this.currentMode;
  }

  behaviour(mode = this.currentMode): CduBehaviour | undefined {
    return this.opts.behaviours[mode];
  }

  setMode(mode: string): void {
    const behaviour = this.behaviour(mode);
    if (!behaviour) throw new RangeError(`CDU: no behaviour for mode "${mode}"`);
    if (behaviour === "manual") {
      this.renewLease();
    } else {
      this.cancelLease();
      this.lastAutoMode = mode;
    }
    this.currentMode = mode;
  }

  setDutySetpoint(pct: number): void {
    this.dutySetpointPct = pct;
    // A set-point write is the host saying it is still there.
    if (this.behaviour() === "manual") this.renewLease();
  }

  /** The pump command for the next physics step, from the loop state the sensors see. */
  pumpCmdPct(liquid: LiquidLoopState, dtS: number): number {
    switch (this.behaviour()) {
      case "manual":
        return this.dutySetpointPct;
      case "hold_temp": {
        const gain = this.opts.tempGainPctPerK ?? 10;
        return clampPct(this.opts.defaultDutyPct + gain * (liquid.coolantReturnC - this.targetTempC));
      }
      case "hold_flow": {
        const errorLpm = this.targetFlowLpm - liquid.flowLpm;
        // Integral clamped to the output range so a flow the pump cannot reach does not wind it up.
        this.flowIntegralPct = clampPct(this.flowIntegralPct + FLOW_KI_PCT_PER_LPM_S * errorLpm * dtS);
        return clampPct(this.flowIntegralPct + FLOW_KP_PCT_PER_LPM * errorLpm);
      }
      case "stop":
        return 0;
      case "default_duty":
      default:
        return this.opts.defaultDutyPct;
    }
  }

  dispose(): void {
    this.cancelLease();
  }

  private renewLease(): void {
    this.cancelLease();
    this.leaseTimer = this.opts.clock.setTimeout(() => {
      this.leaseTimer = undefined;
      this.leaseLapses++;
      this.currentMode = this.lastAutoMode;
    }, this.opts.leaseS * 1000);
  }

  private cancelLease(): void {
    if (this.leaseTimer) this.opts.clock.clearTimeout(this.leaseTimer);
    this.leaseTimer = undefined;
  }
}

function clampPct(pct: number): number {
  return Math.min(100, Math.max(0, pct));
}
