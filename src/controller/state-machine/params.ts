/**
 * Every threshold of the host state machine, in one place with its default (docs/state-machine.md explains each).
 * Holds are seconds of evidence: with 10 s feature windows, a 20 s hold is two consecutive windows.
 */
export interface StateMachineParams {
  /** Cooling entry: a CPU or drive margin (tempC − targetC) above −bandC. */
  coolingBandC: number;
  /** Cooling exit: every margin at or below −(bandC + hysteresisC). */
  coolingHysteresisC: number;
  coolingEnterHoldS: number;
  coolingExitHoldS: number;

  /** Scaling entry (a): utilisation this many points above its running baseline ... */
  scalingRisePct: number;
  /** ... held this long. */
  scalingRiseHoldS: number;
  /** Scaling entry (b): the window's utilisation slope at or above this ... */
  scalingSlopePctPerMin: number;
  /** ... in this many consecutive windows. */
  scalingSlopeWindows: number;
  /** Scaling exit: |slope| at or below this ... */
  scalingFlatSlopePctPerMin: number;
  /** ... and utilisation within ± this of where the stable run began ... */
  scalingStableBandPct: number;
  /** ... held this long. */
  scalingExitHoldS: number;
  /** Time constant of the utilisation baseline (exponential moving average of window means). */
  utilBaselineTauS: number;

  /** DataStorage entry: disk throughput at or above max(surgeMBps, surgeFactor × baseline) ... */
  storageSurgeMBps: number;
  storageSurgeFactor: number;
  /** ... held this long. */
  storageEnterHoldS: number;
  /** DataStorage exit: disk throughput below max(exitMBps, exitFactor × baseline) ... */
  storageExitMBps: number;
  storageExitFactor: number;
  /** ... held this long. */
  storageExitHoldS: number;
  /** Time constant of the disk-throughput baseline; a surge that lasts several of these becomes the new normal. */
  diskBaselineTauS: number;

  /** Error exit: windows with no bad required reading and no failsafe mode, held this long. */
  recoverHoldS: number;
}

export const DEFAULT_STATE_MACHINE_PARAMS: Readonly<StateMachineParams> = Object.freeze({
  coolingBandC: 3,
  coolingHysteresisC: 2,
  coolingEnterHoldS: 20,
  coolingExitHoldS: 60,

  scalingRisePct: 20,
  scalingRiseHoldS: 20,
  scalingSlopePctPerMin: 60,
  scalingSlopeWindows: 3,
  scalingFlatSlopePctPerMin: 15,
  scalingStableBandPct: 5,
  scalingExitHoldS: 60,
  utilBaselineTauS: 300,

  storageSurgeMBps: 150,
  storageSurgeFactor: 3,
  storageEnterHoldS: 20,
  storageExitMBps: 75,
  storageExitFactor: 1.5,
  storageExitHoldS: 60,
  diskBaselineTauS: 600,

  recoverHoldS: 30,
});

/**
 * What is wrong with a parameter set, one message per problem (empty when usable). Catches the settings that make
 * a state flap (no hysteresis, an exit threshold above its entry threshold) or never end.
 */
export function stateMachineParamProblems(params: StateMachineParams): string[] {
  const problems: string[] = [];
  for (const [key, value] of Object.entries(params) as [keyof StateMachineParams, number][]) {
    if (!Number.isFinite(value) || value < 0) problems.push(`${key} must be a finite number ≥ 0; got ${value}`);
  }
  for (const key of ["utilBaselineTauS", "diskBaselineTauS", "scalingSlopeWindows", "storageSurgeFactor"] as const) {
    if (params[key] === 0) problems.push(`${key} must be > 0`);
  }
  if (!Number.isInteger(params.scalingSlopeWindows)) problems.push(`scalingSlopeWindows must be a whole number of windows; got ${params.scalingSlopeWindows}`);
  if (params.storageExitMBps > params.storageSurgeMBps) {
    problems.push(`storageExitMBps (${params.storageExitMBps}) must not exceed storageSurgeMBps (${params.storageSurgeMBps}), or DataStorage flaps`);
  }
  if (params.storageExitFactor > params.storageSurgeFactor) {
    problems.push(`storageExitFactor (${params.storageExitFactor}) must not exceed storageSurgeFactor (${params.storageSurgeFactor}), or DataStorage flaps`);
  }
  if (params.scalingFlatSlopePctPerMin >= params.scalingSlopePctPerMin) {
    problems.push(`scalingFlatSlopePctPerMin (${params.scalingFlatSlopePctPerMin}) must be below scalingSlopePctPerMin (${params.scalingSlopePctPerMin})`);
  }
  return problems;
}
