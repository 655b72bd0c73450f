import type { HostHistory } from "./host-history.js";

/**
 * The thermal model's inputs and outputs. Periods are control periods (1 s on every agent we ship; the registry
 * records the period a model was trained at and the MPC refuses another).
 *
 * State features describe the recent past; the CPU is given as its level now plus how it got there (window means
 * relative to now), which is what reveals the heatsink's hidden temperature behind the die reading.
 */
export const STATE_FEATURES = [
  "cpuNowC",
  "cpuOverInletC",
  "cpuDelta3to9C",
  "cpuDelta10to19C",
  "cpuDelta20to39C",
  "cpuDelta40to60C",
  "utilNowPct",
  "util3to9Pct",
  "util10to19Pct",
  "util20to39Pct",
  "util40to60Pct",
  "fanNowPct",
  "fan3to9Pct",
  "fan10to19Pct",
  "fan20to39Pct",
  "fan40to60Pct",
  "inletC",
  "driveOverInletC",
  "driveDelta40to60C",
  "diskMBps",
  "cpuOverInletSlowC",
  "utilSlowPct",
  "fanSlowPct",
] as const;

/**
 * Future features: what is assumed over each horizon. The first four are the candidate (fan held at one level
 * under MPC; the mean actually applied in training); the rest describe the host's load over the horizon (actual
 * means in training; persistence or a forecast under MPC).
 */
export const CANDIDATE_FEATURES = ["fanMean10Pct", "fanMean30Pct", "fanMean60Pct", "fanMean300Pct", "flowResistance60", "flowResistance300"] as const;

/**
 * The heatsink's convective resistance goes roughly as airflow^−0.94 (Intel's 2U reference curve), and airflow as
 * fan speed: giving the model that shape saves it learning a steep curve from ReLUs.
 */
export function flowResistance(fanPct: number): number {
  return Math.max(0.05, fanPct / 100) ** -0.94;
}

/** The candidate features of a fan level held over every horizon (MPC's candidates). */
export function heldCandidate(fanPct: number): number[] {
  const r = flowResistance(fanPct);
  return [fanPct, fanPct, fanPct, fanPct, r, r];
}
export const LOAD_FEATURES = ["utilMean10Pct", "utilMean30Pct", "utilMean60Pct", "diskMean300MBps"] as const;

/** Predicted changes from the state's "now" values: the CPU reading at 10/30/60 s, the hottest drive at 60/300 s. */
export const OUTPUTS = ["cpuIn10C", "cpuIn30C", "cpuIn60C", "driveIn60C", "driveIn300C"] as const;
export const CPU_HORIZONS_S = [10, 30, 60] as const;
export const DRIVE_HORIZONS_S = [60, 300] as const;
/** History a state needs (periods back) and the longest future a training target needs. */
export const HISTORY_PERIODS = 61;
export const LONGEST_HORIZON_S = 300;

export const N_STATE = STATE_FEATURES.length;
export const N_CANDIDATE = CANDIDATE_FEATURES.length;
export const N_LOAD = LOAD_FEATURES.length;
export const N_OUTPUTS = OUTPUTS.length;

/** Writes the state features of a history into out[offset …]. */
export function writeStateFeatures(h: HostHistory, out: Float32Array, offset: number): void {
  const cpuNow = h.mean("cpuC", 0, 2);
  const driveNow = h.mean("driveC", 0, 2);
  const inletC = h.mean("inletC", 0, 9);
  const values = [
    cpuNow,
    cpuNow - inletC,
    h.mean("cpuC", 3, 9) - cpuNow,
    h.mean("cpuC", 10, 19) - cpuNow,
    h.mean("cpuC", 20, 39) - cpuNow,
    h.mean("cpuC", 40, 60) - cpuNow,
    h.mean("utilPct", 0, 2),
    h.mean("utilPct", 3, 9),
    h.mean("utilPct", 10, 19),
    h.mean("utilPct", 20, 39),
    h.mean("utilPct", 40, 60),
    h.at("fanPct", 0),
    h.mean("fanPct", 3, 9),
    h.mean("fanPct", 10, 19),
    h.mean("fanPct", 20, 39),
    h.mean("fanPct", 40, 60),
    inletC,
    Number.isFinite(driveNow) ? driveNow - inletC : 0,
    Number.isFinite(driveNow) ? h.mean("driveC", 40, 60) - driveNow : 0,
    // A host that reports no disk throughput is taken as idle disks rather than dropped.
    finiteOr(h.mean("diskMBps", 0, 9), 0),
    // Five-minute averages: together they say how hot this host runs for its load and airflow (its share of the
    // ±10 % parameter spread), which a 60 s window cannot tell.
    h.slowMean("cpuOverInletC"),
    h.slowMean("utilPct"),
    h.slowMean("fanPct"),
  ];
  for (let i = 0; i < N_STATE; i++) out[offset + i] = values[i] ?? 0;
}

function finiteOr(value: number, fallback: number): number {
  return Number.isFinite(value) ? value : fallback;
}

/** The "now" values the outputs are relative to. */
export function nowValues(h: HostHistory): { cpuC: number; driveC: number } {
  return { cpuC: h.mean("cpuC", 0, 2), driveC: h.mean("driveC", 0, 2) };
}
