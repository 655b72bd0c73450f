import { CPU_HORIZONS_S, DRIVE_HORIZONS_S, N_OUTPUTS, OUTPUTS } from "../model/feature-spec.js";
import { LIQUID_OUTPUTS } from "../model/model-layout.js";
import { cubeLawW } from "../cooling-power.js";

/** The energy model the MPC minimises: fan and pump power by the cube law plus CPU leakage, which doubles every ~19 K. */
export interface MpcEnergyModel {
  /** All fans at 100 % (6 × 12 W on the PowerEdge class). */
  fanMaxPowerW: number;
  /** The loop's pump at 100 % (18 W on the liquid PowerEdge class). */
  pumpMaxPowerW: number;
  /** Leakage of all sockets together at 85 °C die (2 × 26 W on the PowerEdge class). */
  leakageAt85W: number;
  leakageDoublingK: number;
  /**
   * How much a leakage watt counts against a fan watt: 1 = minimise whole-server power. Near the optimum the
   * total is flat in fan speed, so a weight below 1 buys large fan savings for a small total cost (docs/model.md).
   */
  leakageWeight: number;
}

/** What one host's choice is constrained by and starts from. */
export interface HostChoiceInput {
  cpuNowC: number;
  driveNowC: number;
  /** Highest CPU / drive reading each may be predicted to reach (targets less the objective's and MPC's margins). */
  cpuLimitC: number;
  driveLimitC: number;
  /** The fan % in force (the last command), for the smoothness penalty and the switching hysteresis. */
  previousPct: number | undefined;
  /** Consecutive rounds, up to the last one, in which a cheaper level beat previousPct by switchThresholdW (0 if absent). */
  challengerRounds?: number;
  /** Direction of the last move: +1 up, −1 down, 0 none yet (absent = 0). */
  lastMoveSign?: number;
  /** The host's bounds: candidates outside are not considered. */
  minPct: number;
  maxPct: number;
  /** Liquid-cooled hosts (pump candidates given): the pump in force, its bounds, and the coolant now and its limit. */
  previousPumpPct?: number | undefined;
  pumpMinPct?: number;
  pumpMaxPct?: number;
  coolantNowC?: number;
  coolantLimitC?: number;
}

export interface ChoiceTuning {
  energy: MpcEnergyModel;
  /** Watts of penalty per percentage point moved: no hunting for a fraction of a watt. */
  smoothnessWPerPct: number;
  /** Keep the previous level unless another is better by this many watts (and the previous is still feasible). */
  switchThresholdW: number;
  /**
   * Move blocking: while the previous level is still feasible, a cheaper level must beat it by switchThresholdW in
   * this many consecutive rounds before the fans move (1 = at once). Prediction noise around a flat optimum and
   * load swings shorter than the hold do not move the fans; a predicted limit breach always moves them at once.
   */
  holdRounds: number;
  /**
   * Block only moves that reverse the last one (down after up, up after down). Fan movement is the sum of reversals'
   * amplitudes: a staircase in one direction costs no more movement than one jump, so it need not wait.
   */
  holdReversalsOnly: boolean;
  /**
   * The previous level stays feasible while its predictions exceed a limit by at most this much (a new level must
   * meet the limit outright): a Schmitt trigger, so prediction noise of a few tenths does not flip the fans.
   */
  holdToleranceC: number;
  /**
   * CPU predictions shorter than this are not constrained. Ten seconds ahead the die follows the heat already in the
   * heatsink whatever the fan does, so a 10 s limit mostly says "every candidate fails" and sends the fans to 100 %;
   * the 30 and 60 s limits are the ones a fan choice can meet. The 10 s prediction still scores the model.
   */
  cpuConstrainFromS: number;
  /**
   * When no level meets every limit: the cheapest level whose violation is within this much of the least violation
   * (0 = the least-violating level, the highest on a tie). A limit out of reach (a hot host under the Cooling
   * state's extra headroom) otherwise sends the fans to 100 % for the last few tenths of a degree.
   */
  infeasibleSlackC: number;
}

export interface HostChoice {
  fanPct: number;
  /** The chosen pump level (liquid-cooled hosts only). */
  pumpPct?: number;
  /** Index of the chosen candidate. */
  index: number;
  /** Predicted CPU reading at each CPU horizon for the chosen level. */
  predictedCpuC: number[];
  /** False when no candidate met every limit: the least-violating one (normally the highest) was taken. */
  feasible: boolean;
  /** The count to pass back as challengerRounds next round (0 once the fans moved or nothing beat the held level). */
  challengerRounds: number;
  /** The direction to pass back as lastMoveSign next round: this round's move, else the one before. */
  lastMoveSign: number;
}

const CPU_OUTPUTS = CPU_HORIZONS_S.map((h) => OUTPUTS.indexOf(`cpuIn${h}C` as (typeof OUTPUTS)[number]));
const DRIVE_OUTPUTS = DRIVE_HORIZONS_S.map((h) => OUTPUTS.indexOf(`driveIn${h}C` as (typeof OUTPUTS)[number]));
const CPU60 = OUTPUTS.indexOf("cpuIn60C");
const COOLANT60 = LIQUID_OUTPUTS.indexOf("coolantIn60C");

/**
 * Each energy model's fan + pump watts for the last candidate set it was asked about: every host of a round shares
 * the candidates, and hosts of one kind share an energy model, so they are computed once per kind and round.
 */
const coolingMemo = new WeakMap<MpcEnergyModel, { fan: readonly number[]; pump: readonly number[] | undefined; watts: Float64Array }>();

/** Fan + pump watts of each candidate (fan level k with pump level k), memoised for the same arrays and energy model. */
export function coolingWattsOf(candidatesPct: readonly number[], candidatesPumpPct: readonly number[] | undefined, energy: MpcEnergyModel): Float64Array {
  const memo = coolingMemo.get(energy);
  if (memo?.fan === candidatesPct && memo.pump === candidatesPumpPct) return memo.watts;
  const watts = Float64Array.from(candidatesPct, (pct, k) => fanPowerW(energy, pct) + pumpPowerW(energy, candidatesPumpPct?.[k]));
  coolingMemo.set(energy, { fan: candidatesPct, pump: candidatesPumpPct, watts });
  return watts;
}

export function fanPowerW(energy: MpcEnergyModel, fanPct: number): number {
  return cubeLawW(energy.fanMaxPowerW, fanPct);
}

export function pumpPowerW(energy: MpcEnergyModel, pumpPct: number | undefined): number {
  return pumpPct === undefined ? 0 : cubeLawW(energy.pumpMaxPowerW, pumpPct);
}

export function leakageW(energy: MpcEnergyModel, dieC: number): number {
  // 2^x as e^(x·ln 2): the planner evaluates this for every candidate of every host each round, and V8's exp is
  // several times faster than its pow (equal to within 1e-15 relative).
  return energy.leakageAt85W * Math.exp(((Math.min(dieC, 150) - 85) * Math.LN2) / energy.leakageDoublingK);
}

/**
 * The limit a prediction h seconds ahead must meet. A reading already above its limit (a load step, a tightened
 * objective) cannot be pulled under it in ten seconds by any fan speed; it must come down along a straight line
 * that reaches the limit at the last horizon, which is what a sane operator would ask for too.
 */
export function limitAtC(limitC: number, nowC: number, horizonS: number, lastHorizonS: number): number {
  if (!(nowC > limitC)) return limitC;
  return limitC + ((nowC - limitC) * Math.max(0, lastHorizonS - horizonS)) / lastHorizonS;
}

const LAST_CPU_H = CPU_HORIZONS_S[CPU_HORIZONS_S.length - 1] ?? 60;
const LAST_DRIVE_H = DRIVE_HORIZONS_S[DRIVE_HORIZONS_S.length - 1] ?? 300;

/**
 * Picks one host's fan level (and pump level, when candidatesPumpPct pairs one with each fan candidate) from the
 * model's predictions for every candidate (predictions: [K × nOutputs] at offset, changes from "now"): the least fan
 * + pump + leakage watts (leakage at the predicted 60 s CPU temperature) plus a smoothness penalty, among candidates
 * whose every predicted CPU, drive (and coolant) temperature stays within its limit (limitAtC); a feasible previous
 * level is held as ChoiceTuning says (switchThresholdW, holdRounds). No candidate feasible: the least-violating one
 * (the most cooling power on a tie), or the cheapest within infeasibleSlackC of it.
 */
export function chooseFanPct(
  candidatesPct: readonly number[],
  predictions: Float32Array,
  offset: number,
  host: HostChoiceInput,
  tuning: ChoiceTuning,
  candidatesPumpPct?: readonly number[],
  nOutputs: number = N_OUTPUTS,
): HostChoice {
  const pumpAt = (k: number): number | undefined => candidatesPumpPct?.[k];
  const candidateCoolingW = coolingWattsOf(candidatesPct, candidatesPumpPct, tuning.energy);
  const inBounds = (k: number): boolean => {
    const pct = candidatesPct[k] ?? Number.NaN;
    const pumpPct = pumpAt(k);
    if (!(pct >= host.minPct - 1e-9 && pct <= host.maxPct + 1e-9)) return false;
    return pumpPct === undefined || (pumpPct >= (host.pumpMinPct ?? 0) - 1e-9 && pumpPct <= (host.pumpMaxPct ?? 100) + 1e-9);
  };
  // Cooling power orders the candidates where "higher" is needed (ties, move direction): the fan level alone on air.
  const coolingW = (k: number): number => candidateCoolingW[k] ?? Number.NaN;
  const previousCoolingW = host.previousPct === undefined ? undefined : fanPowerW(tuning.energy, host.previousPct) + pumpPowerW(tuning.energy, candidatesPumpPct ? host.previousPumpPct : undefined);
  // The coolant limit: a loop running warm because the facility water is warm cannot be cooled by any fan or pump
  // level; when no candidate is predicted to meet it, it does not steer the choice (model noise would, at random).
  const coolantLimit = candidatesPumpPct && host.coolantNowC !== undefined && Number.isFinite(host.coolantNowC) && host.coolantLimitC !== undefined ? limitAtC(host.coolantLimitC, host.coolantNowC, 60, 60) : undefined;
  const coolantViolationC = (k: number): number => (coolantLimit === undefined ? 0 : (host.coolantNowC ?? 0) + (predictions[offset + k * nOutputs + COOLANT60] ?? 0) - coolantLimit);
  const coolantReachable = coolantLimit !== undefined && candidatesPct.some((pct, k) => inBounds(k) && coolantViolationC(k) <= 0);
  // The limits do not depend on the candidate: one per horizon, computed once per host.
  const cpuChecks: { output: number; limitC: number }[] = [];
  CPU_OUTPUTS.forEach((o, i) => {
    const horizonS = CPU_HORIZONS_S[i] ?? LAST_CPU_H;
    if (horizonS >= tuning.cpuConstrainFromS) cpuChecks.push({ output: o, limitC: limitAtC(host.cpuLimitC, host.cpuNowC, horizonS, LAST_CPU_H) });
  });
  const driveChecks = Number.isFinite(host.driveNowC) ? DRIVE_OUTPUTS.map((o, i) => ({ output: o, limitC: limitAtC(host.driveLimitC, host.driveNowC, DRIVE_HORIZONS_S[i] ?? LAST_DRIVE_H, LAST_DRIVE_H) })) : [];
  let best: { index: number; cost: number } | undefined;
  let leastViolation: { index: number; violationC: number } | undefined;
  let previous: { index: number; cost: number } | undefined;
  // Kept only when needed (no candidate feasible, with a slack to choose within).
  const scored: { index: number; violationC: number; cost: number }[] | undefined = tuning.infeasibleSlackC > 0 ? [] : undefined;
  for (let k = 0; k < candidatesPct.length; k++) {
    if (!inBounds(k)) continue;
    const pct = candidatesPct[k] ?? Number.NaN;
    const pumpPct = pumpAt(k);
    const base = offset + k * nOutputs;
    let violationC = 0;
    for (const check of cpuChecks) violationC = Math.max(violationC, host.cpuNowC + (predictions[base + check.output] ?? 0) - check.limitC);
    for (const check of driveChecks) violationC = Math.max(violationC, host.driveNowC + (predictions[base + check.output] ?? 0) - check.limitC);
    if (coolantReachable) violationC = Math.max(violationC, coolantViolationC(k));
    if (!leastViolation || violationC < leastViolation.violationC || (violationC === leastViolation.violationC && coolingW(k) > coolingW(leastViolation.index))) {
      leastViolation = { index: k, violationC };
    }
    const samePump = pumpPct === undefined || (host.previousPumpPct !== undefined && Math.abs(pumpPct - host.previousPumpPct) < 1e-6);
    const isPrevious = host.previousPct !== undefined && Math.abs(pct - host.previousPct) < 1e-6 && samePump;
    const infeasible = violationC > (isPrevious ? tuning.holdToleranceC : 0);
    // An infeasible candidate's cost matters only to the slack rule (scored).
    if (infeasible && !scored) continue;
    const pumpMovePct = pumpPct === undefined || host.previousPumpPct === undefined ? 0 : Math.abs(pumpPct - host.previousPumpPct);
    const moveW = host.previousPct === undefined ? 0 : tuning.smoothnessWPerPct * (Math.abs(pct - host.previousPct) + pumpMovePct);
    const cost = coolingW(k) + tuning.energy.leakageWeight * leakageW(tuning.energy, host.cpuNowC + (predictions[base + CPU60] ?? 0)) + moveW;
    scored?.push({ index: k, violationC, cost });
    if (infeasible) continue;
    if (isPrevious) previous = { index: k, cost };
    else if (!best || cost < best.cost) best = { index: k, cost };
  }
  // The previous level (if still feasible within its tolerance) is kept unless another saves switchThresholdW, and
  // has done so for holdRounds rounds in a row. An infeasible previous level leaves no choice: move at once.
  let chosen = best;
  let challengerRounds = 0;
  if (previous) {
    const challenged = best !== undefined && previous.cost - best.cost >= tuning.switchThresholdW;
    challengerRounds = challenged ? (host.challengerRounds ?? 0) + 1 : 0;
    const sign = best !== undefined ? Math.sign(coolingW(best.index) - (previousCoolingW ?? 0)) : 0;
    // Before any move the direction is unknown: every move counts as a reversal.
    const reversal = sign !== 0 && sign !== (host.lastMoveSign ?? 0);
    const blockedRounds = tuning.holdReversalsOnly && !reversal ? 1 : Math.max(1, tuning.holdRounds);
    if (challengerRounds < blockedRounds) chosen = previous;
    else challengerRounds = 0;
  }
  const index = chosen?.index ?? cheapestNearLeastViolation(scored ?? [], leastViolation, tuning.infeasibleSlackC) ?? candidatesPct.length - 1;
  const base = offset + index * nOutputs;
  const fanPct = candidatesPct[index] ?? 100;
  const pumpPct = pumpAt(index);
  const moveSign = previousCoolingW === undefined ? 0 : Math.sign(coolingW(index) - previousCoolingW);
  return {
    fanPct,
    ...(pumpPct !== undefined ? { pumpPct } : {}),
    index,
    predictedCpuC: CPU_OUTPUTS.map((o) => host.cpuNowC + (predictions[base + o] ?? 0)),
    feasible: chosen !== undefined,
    challengerRounds,
    lastMoveSign: moveSign !== 0 ? moveSign : (host.lastMoveSign ?? 0),
  };
}

function cheapestNearLeastViolation(
  all: readonly { index: number; violationC: number; cost: number }[],
  least: { index: number; violationC: number } | undefined,
  slackC: number,
): number | undefined {
  if (!least || !(slackC > 0)) return least?.index;
  let cheapest: { index: number; cost: number } | undefined;
  for (const c of all) if (c.violationC <= least.violationC + slackC && (!cheapest || c.cost < cheapest.cost)) cheapest = c;
  return cheapest?.index;
}
