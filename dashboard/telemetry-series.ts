import {
  CPU_UTIL_READING_ID,
  DISK_TOTAL_READING_ID,
  hostPowerW,
  trustedValue,
} from "../src/controller/features-readings.js";
import type { TelemetryPoint } from "../src/controller/http/read-model.js";

/** Gaps longer than this (agent offline, controller restart) are not integrated into energy: no made-up kWh. */
export const ENERGY_MAX_GAP_MS = 30_000;

const MS_PER_HOUR = 3_600_000;

/** Column arrays for uPlot, one entry per telemetry point; null where a value is missing or untrusted. */
export interface ChartColumns {
  /** uPlot's time axis is in seconds. */
  tsS: number[];
  tempsC: Map<string, Array<number | null>>;
  fanPct: Array<number | null>;
  pumpPct: Array<number | null>;
  cpuUtilPct: Array<number | null>;
  diskMBps: Array<number | null>;
  powerW: Array<number | null>;
  /** Cumulative from the first point shown. */
  energyKWh: Array<number | null>;
}

/**
 * Adds incoming points to a ts-ordered list, dropping duplicates (same boot and seq): the initial fetch and the live
 * stream overlap, and a reconnect refetches what was already there.
 */
export function mergePoints(existing: readonly TelemetryPoint[], incoming: readonly TelemetryPoint[]): TelemetryPoint[] {
  const key = (p: TelemetryPoint): string => `${p.boot}/${p.seq}`;
  const byKey = new Map<string, TelemetryPoint>();
  for (const p of existing) byKey.set(key(p), p);
  for (const p of incoming) byKey.set(key(p), p);
  return [...byKey.values()].sort((a, b) => a.ts - b.ts || a.seq - b.seq);
}

/** The points at or after fromMs of a ts-ordered list. */
export function pointsSince(points: readonly TelemetryPoint[], fromMs: number): TelemetryPoint[] {
  let lo = 0;
  let hi = points.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (points[mid]!.ts < fromMs) lo = mid + 1;
    else hi = mid;
  }
  return points.slice(lo);
}

/** Splits points into chart columns; temperatures only for the given (controlled) sensor ids, in that order. */
export function chartColumns(points: readonly TelemetryPoint[], temperatureIds: readonly string[]): ChartColumns {
  const tempsC = new Map<string, Array<number | null>>(temperatureIds.map((id) => [id, []]));
  const columns: ChartColumns = {
    tsS: [],
    tempsC,
    fanPct: [],
    pumpPct: [],
    cpuUtilPct: [],
    diskMBps: [],
    powerW: [],
    energyKWh: [],
  };
  for (const p of points) {
    columns.tsS.push(p.ts / 1000);
    for (const [id, values] of tempsC) {
      values.push(trustedValue(p.readings.find((r) => r.id === id && r.kind === "temperature")));
    }
    columns.fanPct.push(p.fanPct);
    columns.pumpPct.push(p.pumpPct);
    columns.cpuUtilPct.push(trustedValue(p.readings.find((r) => r.id === CPU_UTIL_READING_ID && r.kind === "load")));
    columns.diskMBps.push(trustedValue(p.readings.find((r) => r.id === DISK_TOTAL_READING_ID && r.kind === "disk")));
    columns.powerW.push(hostPowerW(p.readings));
  }
  columns.energyKWh = cumulativeEnergyKWh(
    points.map((p) => p.ts),
    columns.powerW,
  );
  return columns;
}

/**
 * Trapezoidal integral of power over time, kWh, starting at 0. An interval counts only when both ends have power
 * and it is no longer than maxGapMs; points before the first known power are null.
 */
export function cumulativeEnergyKWh(
  tsMs: readonly number[],
  powerW: ReadonlyArray<number | null>,
  maxGapMs = ENERGY_MAX_GAP_MS,
): Array<number | null> {
  const energy: Array<number | null> = [];
  let totalKWh: number | null = null;
  for (let i = 0; i < tsMs.length; i++) {
    const w = powerW[i] ?? null;
    if (totalKWh === null) {
      if (w !== null) totalKWh = 0;
    } else if (i > 0) {
      const prevW = powerW[i - 1] ?? null;
      const dtMs = tsMs[i]! - tsMs[i - 1]!;
      if (w !== null && prevW !== null && dtMs > 0 && dtMs <= maxGapMs) {
        totalKWh += ((w + prevW) / 2) * (dtMs / MS_PER_HOUR) / 1000;
      }
    }
    energy.push(totalKWh);
  }
  return energy;
}
