import type { ModelLayout } from "../model/model-layout.js";
import type { PidGains } from "./margin-pid.js";
import type { MpcEnergyModel } from "./policy-mpc-choice.js";

/** What MPC needs of a thermal model: one batched prediction for N hosts × K held levels (ThermalMlp does it). */
export interface ThermalPredictor {
  /** Its inputs and outputs (absent = the air layout). */
  readonly layout?: ModelLayout;
  /**
   * Returns [N × K × outputs] changes from each host's "now" values, host-major; with the liquid layout each
   * candidate is a fan level and the pump level at the same index.
   */
  predictGrid(state: Float32Array, load: Float32Array, candidateFanPcts: readonly number[], candidatePumpPcts?: readonly number[]): Float32Array;
}

export interface MpcPolicyOptions {
  /** How often plan() runs: B2's dt and the period the model was trained at. */
  planPeriodMs: number;
  /** Candidate fan levels are this far apart, between the host's bounds. */
  candidateStepPct?: number;
  /**
   * The model for liquid-cooled hosts (a controllable pump), with the pump and coolant in its layout. Without one
   * those hosts are planned by the fallback baseline.
   */
  liquidModel?: ThermalPredictor | undefined;
  /** Liquid-cooled hosts: fan × pump candidates, fans this far apart … */
  liquidFanStepPct?: number;
  /** … and the pump this far apart. */
  pumpStepPct?: number;
  /** The load assumed to persist is the mean utilisation over this many periods (default 3). */
  loadWindowPeriods?: number;
  /** Predicted coolant readings must stay this far below their (objective-adjusted) targets. */
  coolantMarginC?: number;
  /** Predicted CPU readings must stay this far below their (objective-adjusted) targets. */
  cpuMarginC?: number;
  driveMarginC?: number;
  /**
   * The energy model (MPC_DEFAULT_ENERGY's fields): fan, pump and leakage watts for hosts whose birth does not announce
   * their own (capabilities fans/pump maxPowerW, cpuLeakage, which win where given), and the leakage weight.
   */
  energy?: Partial<MpcEnergyModel>;
  /**
   * The leakage weight for liquid-cooled hosts (energy.leakageWeight is the air-cooled hosts'). Default 1: the weight
   * of 3 was chosen on the air fleet; on the liquid fleet's training workloads 1 is the choice (docs/model.md).
   */
  liquidLeakageWeight?: number;
  smoothnessWPerPct?: number;
  switchThresholdW?: number;
  /** Move blocking: rounds in a row a cheaper level must win before a feasible held level is left (see ChoiceTuning). */
  holdRounds?: number;
  /** Hold only moves that reverse the last one (see ChoiceTuning). */
  holdReversalsOnly?: boolean;
  holdToleranceC?: number;
  /** No level meets the limits: the cheapest within this much of the least violation (see ChoiceTuning). */
  infeasibleSlackC?: number;
  /** CPU predictions shorter than this are not constrained (see ChoiceTuning). */
  cpuConstrainFromS?: number;
  /**
   * Probation: after its warm-up minute a host stays on the fallback baseline while the model predicts it in the
   * shadow, until this many of those predictions have been scored — the model commands no host on which its error
   * is unmeasured.
   * 0 = no probation.
   */
  probationPredictions?: number;
  /** A host whose live 10 s prediction error (mean absolute, 60 s average) exceeds this goes to the fallback … */
  fallbackErrorC?: number;
  /** … until it is back below this. */
  recoverErrorC?: number;
  errorTauMs?: number;
  /** B2's gains, when B2 is the fallback. */
  b2Gains?: Partial<PidGains>;
  /**
   * Which baseline plans the hosts the model does not (cold start, warm-up, probation, prediction error): "b1", the
   * stock stepwise curve (default: chosen on the training workloads, plain and with W9's faults — less energy, less
   * fan movement and less overshoot than B2; docs/model.md), or "b2", the cascade PID.
   */
  fallback?: "b1" | "b2";
  /**
   * While a host on the fallback is at or above a target, its fans (pump) are never set below what it runs now
   * (noCutWhileHot). Default true: chosen on the training workloads (docs/model.md).
   */
  fallbackNoCutWhileHot?: boolean;
  /**
   * A host on the fallback with a CPU or drive reading within the Cooling band of its target is planned with the
   * headroom objective at once, until it is back below the band by the hysteresis (FallbackHeadroom). Default true:
   * chosen on the training workloads under both objectives (docs/model.md).
   */
  fallbackHeadroom?: boolean;
  leasePeriods?: number;
  log?: (message: string) => void;
}

/**
 * Defaults for the PowerEdge class of the reference (6 × 12 W fans; 18 W pump; 2 × 26 W leakage at 85 °C, ×2 per
 * 19 K). Leakage weighs 3: the cost sees leakage at the 60 s prediction, while a held fan level goes on cooling the
 * heatsink for minutes, so at weight 1 MPC undervalued the leakage a faster fan saves (on the training workloads it
 * traded 1.2 Wh of fans for 5 Wh of leakage against B1 on W7). Chosen on the training workloads (mpc-tuning.js …
 * leakage; docs/model.md).
 */
export const MPC_DEFAULT_ENERGY: Readonly<MpcEnergyModel> = Object.freeze({ fanMaxPowerW: 72, pumpMaxPowerW: 18, leakageAt85W: 52, leakageDoublingK: 19, leakageWeight: 3 });

/**
 * The fan × pump grid of liquid-cooled hosts: on cold plates the fans cool only the drives and the chassis, so 10 %
 * steps lose little, and they keep one planner tick for 1 000 liquid-cooled hosts within 100 ms (80 candidates each
 * on the R750 instead of 144 at 5 %; docs/model.md).
 */
export const MPC_LIQUID_FAN_STEP_PCT = 10;
export const MPC_PUMP_STEP_PCT = 10;

/**
 * Why a host is planned by the fallback baseline instead of the model: no model for its kind of cooling yet
 * (cold start), its first minute, fans it may not command, a model input it cannot give (no trusted inlet reading
 * in its history), its model's error not measured yet (probation), or a live prediction error past the threshold.
 */
export type MpcFallbackReason = "cold-start" | "warm-up" | "fans-not-controlled" | "missing-inputs" | "probation" | "prediction-error";
