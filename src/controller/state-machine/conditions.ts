import type { HostFeatures } from "../types.js";
import type { StateMachineParams } from "./params.js";
import type { HostMachineState } from "./state.js";

/** Per-window predicates the triggers time. They read the baselines as they were before this window. */

/** The margins (°C) above the Cooling band, labelled; empty when none is. */
export function marginsAboveBand(f: HostFeatures, p: StateMachineParams): { label: "cpu" | "drive"; marginC: number }[] {
  const over: { label: "cpu" | "drive"; marginC: number }[] = [];
  if (f.cpuMarginC !== null && f.cpuMarginC > -p.coolingBandC) over.push({ label: "cpu", marginC: f.cpuMarginC });
  if (f.driveMarginC !== null && f.driveMarginC > -p.coolingBandC) over.push({ label: "drive", marginC: f.driveMarginC });
  return over;
}

export function isHot(f: HostFeatures, p: StateMachineParams): boolean {
  return marginsAboveBand(f, p).length > 0;
}

/**
 * Back in band: every trusted margin at or below −(band + hysteresis), and at least one trusted margin, so losing
 * the temperature readings never counts as having cooled down.
 */
export function isCool(f: HostFeatures, p: StateMachineParams): boolean {
  const exitC = -(p.coolingBandC + p.coolingHysteresisC);
  const margins = [f.cpuMarginC, f.driveMarginC].filter((m): m is number => m !== null);
  return margins.length > 0 && margins.every((m) => m <= exitC);
}

/** Utilisation above the running baseline, points; null without both. */
export function utilRisePct(f: HostFeatures, s: HostMachineState): number | null {
  if (f.cpuUtilMeanPct === null || s.utilBaselinePct === null) return null;
  return f.cpuUtilMeanPct - s.utilBaselinePct;
}

export function isUtilRise(f: HostFeatures, s: HostMachineState, p: StateMachineParams): boolean {
  const rise = utilRisePct(f, s);
  return rise !== null && rise >= p.scalingRisePct;
}

export function isSlopeRising(f: HostFeatures, p: StateMachineParams): boolean {
  return f.cpuUtilSlopePctPerMin !== null && f.cpuUtilSlopePctPerMin >= p.scalingSlopePctPerMin;
}

/**
 * Utilisation stable against the reference of the current run, and flat within the window. No utilisation
 * reading is no evidence of an increase: it counts as stable, so Scaling cannot outlive its signal.
 */
export function isUtilStable(f: HostFeatures, s: HostMachineState, p: StateMachineParams): boolean {
  if (f.cpuUtilMeanPct === null) return true;
  if (s.stableUtilRefPct === null || Math.abs(f.cpuUtilMeanPct - s.stableUtilRefPct) > p.scalingStableBandPct) return false;
  return f.cpuUtilSlopePctPerMin === null || Math.abs(f.cpuUtilSlopePctPerMin) <= p.scalingFlatSlopePctPerMin;
}

/** The reference the next window's stability is judged against: kept while in band, reset to the new level otherwise. */
export function nextStableRefPct(f: HostFeatures, s: HostMachineState, p: StateMachineParams): number | null {
  if (f.cpuUtilMeanPct === null) return s.stableUtilRefPct;
  if (s.stableUtilRefPct !== null && Math.abs(f.cpuUtilMeanPct - s.stableUtilRefPct) <= p.scalingStableBandPct) return s.stableUtilRefPct;
  return f.cpuUtilMeanPct;
}

export function diskSurgeThresholdMBps(s: HostMachineState, p: StateMachineParams): number {
  return Math.max(p.storageSurgeMBps, p.storageSurgeFactor * (s.diskBaselineMBps ?? 0));
}

export function isDiskSurge(f: HostFeatures, s: HostMachineState, p: StateMachineParams): boolean {
  return f.diskMBpsMean !== null && f.diskMBpsMean >= diskSurgeThresholdMBps(s, p);
}

export function diskQuietThresholdMBps(s: HostMachineState, p: StateMachineParams): number {
  return Math.max(p.storageExitMBps, p.storageExitFactor * (s.diskBaselineMBps ?? 0));
}

/** Below the exit threshold; no disk reading is no evidence of a surge, so it counts as quiet. */
export function isDiskQuiet(f: HostFeatures, s: HostMachineState, p: StateMachineParams): boolean {
  return f.diskMBpsMean === null || f.diskMBpsMean < diskQuietThresholdMBps(s, p);
}

/** Why the window shows a sensor failure, or null: a bad required reading, or the agent in failsafe. */
export function sensorFaultIn(f: HostFeatures): string | null {
  const reasons: string[] = [];
  if (f.badRequiredReadings > 0) reasons.push(`${f.badRequiredReadings} bad required reading(s)`);
  if (f.modes.includes("failsafe")) reasons.push("agent in failsafe mode");
  return reasons.length > 0 ? `${reasons.join(", ")} in window ${f.windowStartMs}–${f.windowEndMs}` : null;
}

/** Moves an exponential moving average toward value over dtS with time constant tauS; starts at the first value. */
export function ewma(previous: number | null, value: number | null, dtS: number, tauS: number): number | null {
  if (value === null) return previous;
  if (previous === null) return value;
  const alpha = 1 - Math.exp(-Math.max(0, dtS) / tauS);
  return previous + alpha * (value - previous);
}
