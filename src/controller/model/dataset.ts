import { CPU_HORIZONS_S, DRIVE_HORIZONS_S, flowResistance, HISTORY_PERIODS, nowValues } from "./feature-spec.js";
import { HostHistory } from "./host-history.js";
import { AIR_LAYOUT, COOLANT_HORIZONS_S, plateResistance, type FutureMean, type ModelLayout } from "./model-layout.js";
import type { ThermalSample } from "./thermal-sample.js";

/** One host's telemetry, one sample per control period, oldest first; cleanCpuC (simulator only) is the noise-free reading. */
export interface HostSequence {
  hostId: string;
  /** Where it came from (workload, store), for reports. */
  source: string;
  samples: readonly ThermalSample[];
  cleanCpuC?: readonly number[];
}

/** Model-ready rows: inputs, targets (changes from "now") and a mask for targets that do not exist. */
export interface ThermalDataset {
  layout: ModelLayout;
  size: number;
  state: Float32Array;
  candidate: Float32Array;
  load: Float32Array;
  target: Float32Array;
  mask: Float32Array;
  /** CPU reading "now" per row (targets are relative to it). */
  cpuNowC: Float32Array;
  /** Noise-free CPU reading 60 s ahead (NaN without a simulator). */
  cleanCpuIn60C: Float32Array;
}

export interface DatasetOptions {
  /** Take every stride-th period as a row (neighbouring rows are nearly the same). */
  stride?: number;
  /** The model's inputs and outputs (default: the air layout). */
  layout?: ModelLayout;
}

function prefixSums(values: readonly number[]): Float64Array {
  const sums = new Float64Array(values.length + 1);
  let last = 0;
  values.forEach((v, i) => {
    if (Number.isFinite(v)) last = v;
    sums[i + 1] = (sums[i] ?? 0) + last;
  });
  return sums;
}

/** Mean of values[from..to] (inclusive, clipped to the data) from prefix sums. */
function windowMean(sums: Float64Array, from: number, to: number): number {
  const last = sums.length - 2;
  const a = Math.min(from, last);
  const b = Math.min(to, last);
  return ((sums[b + 1] ?? 0) - (sums[a] ?? 0)) / (b - a + 1);
}

/** Rows from every sequence: each period with a full history and at least 60 s of future. */
export function buildDataset(sequences: readonly HostSequence[], options: DatasetOptions = {}): ThermalDataset {
  const stride = Math.max(1, Math.floor(options.stride ?? 2));
  const layout = options.layout ?? AIR_LAYOUT;
  const liquid = layout.kind === "liquid";
  const N_STATE = layout.state.length;
  const N_CANDIDATE = layout.candidate.length;
  const N_LOAD = layout.load.length;
  const N_OUTPUTS = layout.outputs.length;
  const rows: { state: number[]; candidate: number[]; load: number[]; target: number[]; mask: number[]; cpuNow: number; clean60: number }[] = [];
  const stateRow = new Float32Array(N_STATE);
  for (const seq of sequences) {
    const s = seq.samples;
    const n = s.length;
    const field = (f: keyof ThermalSample): number[] => s.map((x) => x[f] ?? Number.NaN);
    const sums = {
      fanPct: prefixSums(field("fanPct")),
      fanResistance: prefixSums(field("fanPct").map(flowResistance)),
      pumpPct: liquid ? prefixSums(field("pumpPct")) : undefined,
      plateResistance: liquid ? prefixSums(field("pumpPct").map(plateResistance)) : undefined,
    };
    const util = prefixSums(field("utilPct"));
    const disk = prefixSums(field("diskMBps"));
    const cpu = field("cpuC");
    const drive = field("driveC");
    const coolant = field("coolantC");
    const history = new HostHistory(HISTORY_PERIODS);
    const maxCpuH = CPU_HORIZONS_S[CPU_HORIZONS_S.length - 1] ?? 60;
    for (let t = 0; t < n; t++) {
      const sample = s[t];
      if (!sample) continue;
      history.push(sample);
      if (t < HISTORY_PERIODS - 1 || t + maxCpuH + 1 >= n || t % stride !== 0 || history.gapPeriods > 0) continue;
      layout.writeState(history, stateRow, 0);
      const now = nowValues(history);
      if (!Number.isFinite(now.cpuC) || [...stateRow].some((v) => !Number.isFinite(v))) continue;
      // The candidate is proposed at t and applied from t + 1 (one period of command latency).
      const future: FutureMean = (quantity, fromS, toS) => {
        const q = sums[quantity];
        return q ? windowMean(q, t + fromS, t + toS) : Number.NaN;
      };
      const candidate = layout.appliedCandidate(future);
      const load = [windowMean(util, t + 1, t + 10), windowMean(util, t + 1, t + 30), windowMean(util, t + 1, t + 60), windowMean(disk, t + 1, t + 300)];
      const target: number[] = [];
      const mask: number[] = [];
      // A three-period mean around t + h: the label noise of one quantised reading halves, the horizon does not move.
      const ahead = (values: number[], h: number, nowC: number): number => {
        if (t + h + 1 >= n) return Number.NaN;
        return ((values[t + h - 1] ?? Number.NaN) + (values[t + h] ?? Number.NaN) + (values[t + h + 1] ?? Number.NaN)) / 3 - nowC;
      };
      for (const h of CPU_HORIZONS_S) target.push(ahead(cpu, h, now.cpuC));
      for (const h of DRIVE_HORIZONS_S) target.push(Number.isFinite(now.driveC) ? ahead(drive, h, now.driveC) : Number.NaN);
      if (liquid) {
        const coolantNowC = history.mean("coolantC", 0, 2);
        for (const h of COOLANT_HORIZONS_S) target.push(Number.isFinite(coolantNowC) ? ahead(coolant, h, coolantNowC) : Number.NaN);
      }
      for (let i = 0; i < target.length; i++) {
        const ok = Number.isFinite(target[i]);
        mask.push(ok ? 1 : 0);
        if (!ok) target[i] = 0;
      }
      if (!candidate.every(Number.isFinite) || !load.every(Number.isFinite)) continue;
      rows.push({ state: [...stateRow], candidate, load, target, mask, cpuNow: now.cpuC, clean60: seq.cleanCpuC?.[t + 60] ?? Number.NaN });
    }
  }
  const size = rows.length;
  const ds: ThermalDataset = {
    layout,
    size,
    state: new Float32Array(size * N_STATE),
    candidate: new Float32Array(size * N_CANDIDATE),
    load: new Float32Array(size * N_LOAD),
    target: new Float32Array(size * N_OUTPUTS),
    mask: new Float32Array(size * N_OUTPUTS),
    cpuNowC: new Float32Array(size),
    cleanCpuIn60C: new Float32Array(size),
  };
  rows.forEach((r, i) => {
    ds.state.set(r.state, i * N_STATE);
    ds.candidate.set(r.candidate, i * N_CANDIDATE);
    ds.load.set(r.load, i * N_LOAD);
    ds.target.set(r.target, i * N_OUTPUTS);
    ds.mask.set(r.mask, i * N_OUTPUTS);
    ds.cpuNowC[i] = r.cpuNow;
    ds.cleanCpuIn60C[i] = r.clean60;
  });
  return ds;
}
