import { expect } from "vitest";
import type { FaultRecorder, FaultRow } from "./fault-table.js";

/** The product targets: nothing lost, never over a limit, nothing stale applied; detection and recovery bounds per row. */
export interface FaultTargets {
  /** Largest detection time allowed, in control periods (sensor faults: 1). */
  detectPeriodsMax?: number;
  /** Largest recovery time allowed, in seconds. */
  recoverSMax?: number;
}

export type MeasuredRow = Omit<FaultRow, "targets" | "met">;

/** Records the row (met or not, so the table shows a miss), then asserts every target so a regression fails. */
export function recordAndAssert(recorder: FaultRecorder, measured: MeasuredRow, targets: FaultTargets = {}): FaultRow {
  const words = ["lost 0", "over-limit 0", "stale 0"];
  if (targets.detectPeriodsMax !== undefined) words.push(`detect ≤ ${targets.detectPeriodsMax} period${targets.detectPeriodsMax === 1 ? "" : "s"}`);
  if (targets.recoverSMax !== undefined) words.push(`recover ≤ ${targets.recoverSMax} s`);
  const detectOk = targets.detectPeriodsMax === undefined || (measured.detectPeriods !== null && measured.detectPeriods <= targets.detectPeriodsMax);
  const recoverOk = targets.recoverSMax === undefined || (measured.recoverS !== null && measured.recoverS <= targets.recoverSMax);
  const met = measured.telemetryLost === 0 && measured.overLimitS === 0 && measured.staleCommandsApplied === 0 && detectOk && recoverOk;
  const row = recorder.record({ ...measured, targets: words.join(", "), met });
  expect.soft(row.telemetryLost, `${row.fault}: telemetry lost`).toBe(0);
  expect.soft(row.overLimitS, `${row.fault}: seconds over a limit`).toBe(0);
  expect.soft(row.staleCommandsApplied, `${row.fault}: stale or replayed commands applied`).toBe(0);
  if (targets.detectPeriodsMax !== undefined) {
    expect.soft(row.detectPeriods, `${row.fault}: never detected`).not.toBeNull();
    expect.soft(row.detectPeriods ?? Infinity, `${row.fault}: detection time in periods`).toBeLessThanOrEqual(targets.detectPeriodsMax);
  }
  if (targets.recoverSMax !== undefined) {
    expect.soft(row.recoverS, `${row.fault}: never recovered`).not.toBeNull();
    expect.soft(row.recoverS ?? Infinity, `${row.fault}: recovery time`).toBeLessThanOrEqual(targets.recoverSMax);
  }
  return row;
}

/** Seconds between two true times, rounded to the millisecond. */
export function secondsBetween(fromMs: number, toMs: number | undefined): number | null {
  return toMs === undefined ? null : Math.round(toMs - fromMs) / 1000;
}
