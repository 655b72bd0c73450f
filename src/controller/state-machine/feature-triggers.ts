import type { HostFeatures } from "../types.js";
import {
  diskQuietThresholdMBps,
  diskSurgeThresholdMBps,
  marginsAboveBand,
  sensorFaultIn,
  utilRisePct,
} from "./conditions.js";
import type { StateMachineParams } from "./params.js";
import type { HeldCondition, HostMachineState } from "./state.js";
import type { TriggerName } from "./table.js";

/** A trigger and how to tell whether it fires: the cause when it does, null when not. */
export type TriggerCandidate = readonly [TriggerName, () => string | null];

/** The window being judged: the state before it (baselines) and after its conditions were timed (holds). */
export interface FeatureContext {
  before: HostMachineState;
  tracked: HostMachineState;
  features: HostFeatures;
  atMs: number;
  params: StateMachineParams;
}

/** Every trigger a features event can fire, highest priority first: Error > Cooling > DataStorage > Scaling, then exits. */
export function featureTriggers(ctx: FeatureContext): TriggerCandidate[] {
  return [
    ["sensor failure", () => sensorFailureCause(ctx)],
    ["temperature above band", () => hotCause(ctx)],
    ["storage-I/O surge", () => diskSurgeCause(ctx)],
    ["workload increase", () => workloadIncreaseCause(ctx)],
    ["temperature back in band", () => coolCause(ctx)],
    ["storage influx processed", () => diskQuietCause(ctx)],
    ["workload absorbed", () => utilStableCause(ctx)],
    ["fault cleared", () => faultClearedCause(ctx)],
    ["calibrated birth", () => (ctx.tracked.calibrated ? "first telemetry after a calibrated birth" : null)],
  ];
}

/** How long a condition has held, ms, if at least holdS; null otherwise. */
function heldFor(ctx: FeatureContext, condition: HeldCondition, holdS: number): number | null {
  const sinceMs = ctx.tracked.heldSinceMs[condition];
  if (sinceMs === undefined) return null;
  const heldMs = Math.max(0, ctx.atMs - sinceMs);
  return heldMs >= holdS * 1000 ? heldMs : null;
}

function sensorFailureCause(ctx: FeatureContext): string | null {
  const reason = sensorFaultIn(ctx.features);
  return reason === null ? null : `sensor failure: ${reason}`;
}

function hotCause(ctx: FeatureContext): string | null {
  const { features, params } = ctx;
  const heldMs = heldFor(ctx, "hot", params.coolingEnterHoldS);
  if (heldMs === null) return null;
  const over = marginsAboveBand(features, params).map((m) => `${m.label} margin ${c(m.marginC)} °C`);
  return `${over.join(", ")} above band ${-params.coolingBandC} °C for ${s(heldMs)} s`;
}

function coolCause(ctx: FeatureContext): string | null {
  const { features, params } = ctx;
  const heldMs = heldFor(ctx, "cool", params.coolingExitHoldS);
  if (heldMs === null) return null;
  const margins = [
    features.cpuMarginC === null ? null : `cpu margin ${c(features.cpuMarginC)} °C`,
    features.driveMarginC === null ? null : `drive margin ${c(features.driveMarginC)} °C`,
  ].filter((m) => m !== null);
  const exitC = -(params.coolingBandC + params.coolingHysteresisC);
  return `${margins.join(", ")} at or below ${exitC} °C (band ${-params.coolingBandC} °C − hysteresis ${params.coolingHysteresisC} °C) for ${s(heldMs)} s`;
}

function workloadIncreaseCause(ctx: FeatureContext): string | null {
  const { features, params, before, tracked } = ctx;
  const heldMs = heldFor(ctx, "utilRise", params.scalingRiseHoldS);
  const rise = utilRisePct(features, before);
  if (heldMs !== null && rise !== null && before.utilBaselinePct !== null && features.cpuUtilMeanPct !== null) {
    return (
      `cpu utilisation ${c(features.cpuUtilMeanPct)} % is ${c(rise)} points above its baseline ${c(before.utilBaselinePct)} % ` +
      `(≥ ${params.scalingRisePct}) for ${s(heldMs)} s`
    );
  }
  if (tracked.risingSlopeWindows >= params.scalingSlopeWindows && features.cpuUtilSlopePctPerMin !== null) {
    return (
      `cpu utilisation slope ${c(features.cpuUtilSlopePctPerMin)} %/min ≥ ${params.scalingSlopePctPerMin} %/min ` +
      `for ${tracked.risingSlopeWindows} consecutive windows`
    );
  }
  return null;
}

function utilStableCause(ctx: FeatureContext): string | null {
  const { features, params, tracked } = ctx;
  const heldMs = heldFor(ctx, "utilStable", params.scalingExitHoldS);
  if (heldMs === null) return null;
  if (features.cpuUtilMeanPct === null) return `no cpu utilisation reading for ${s(heldMs)} s`;
  const refPct = tracked.stableUtilRefPct ?? features.cpuUtilMeanPct;
  const slope = features.cpuUtilSlopePctPerMin === null ? "" : `, slope ${c(features.cpuUtilSlopePctPerMin)} %/min`;
  return `cpu utilisation ${c(features.cpuUtilMeanPct)} % stable within ±${params.scalingStableBandPct} points of ${c(refPct)} %${slope} for ${s(heldMs)} s`;
}

function diskSurgeCause(ctx: FeatureContext): string | null {
  const { features, params, before } = ctx;
  const heldMs = heldFor(ctx, "diskSurge", params.storageEnterHoldS);
  if (heldMs === null || features.diskMBpsMean === null) return null;
  return (
    `disk ${c(features.diskMBpsMean)} MB/s ≥ ${c(diskSurgeThresholdMBps(before, params))} MB/s ` +
    `(max of ${params.storageSurgeMBps} MB/s and ${params.storageSurgeFactor} × baseline ${c(before.diskBaselineMBps ?? 0)} MB/s) for ${s(heldMs)} s`
  );
}

function diskQuietCause(ctx: FeatureContext): string | null {
  const { features, params, before } = ctx;
  const heldMs = heldFor(ctx, "diskQuiet", params.storageExitHoldS);
  if (heldMs === null) return null;
  if (features.diskMBpsMean === null) return `no disk throughput reading for ${s(heldMs)} s`;
  return (
    `disk ${c(features.diskMBpsMean)} MB/s below ${c(diskQuietThresholdMBps(before, params))} MB/s ` +
    `(max of ${params.storageExitMBps} MB/s and ${params.storageExitFactor} × baseline ${c(before.diskBaselineMBps ?? 0)} MB/s) for ${s(heldMs)} s`
  );
}

function faultClearedCause(ctx: FeatureContext): string | null {
  const heldMs = heldFor(ctx, "healthy", ctx.params.recoverHoldS);
  if (heldMs === null) return null;
  const was = ctx.tracked.fault === null ? "" : ` (was ${ctx.tracked.fault.kind}: ${ctx.tracked.fault.detail})`;
  return `fault cleared${was}: no bad required reading and no failsafe for ${s(heldMs)} s`;
}

/** One decimal for measured values. */
function c(value: number): string {
  return value.toFixed(1);
}

/** Seconds, to a tenth where needed. */
function s(ms: number): string {
  return String(Math.round(ms / 100) / 10);
}
