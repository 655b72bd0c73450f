import * as tf from "@tensorflow/tfjs";
import { AIR_LAYOUT, type ModelLayout } from "./model-layout.js";

/** Per-column mean and standard deviation, inputs and outputs. */
export interface Normaliser {
  stateMean: number[];
  stateStd: number[];
  candidateMean: number[];
  candidateStd: number[];
  loadMean: number[];
  loadStd: number[];
  outMean: number[];
  outStd: number[];
  /**
   * Range of each state and load column seen in training: inputs are clipped into it, because a ReLU network
   * extrapolates linearly and wildly (a disk surge twice any seen in training must not read as twice the heat).
   */
  stateMin: number[];
  stateMax: number[];
  loadMin: number[];
  loadMax: number[];
}

/** The weights by name, row-major, with their shapes. */
export type WeightSet = Record<string, { shape: number[]; values: Float32Array }>;

/** Variable names must be unique in the engine; a counter keeps them so without touching any random stream. */
let instances = 0;

const WEIGHT_NAMES = ["w1State", "w1Candidate", "w1Load", "b1", "w2", "b2", "w3", "b3"] as const;
type WeightName = (typeof WEIGHT_NAMES)[number];

function shapes(hidden: number, layout: ModelLayout): Record<WeightName, number[]> {
  return {
    w1State: [layout.state.length, hidden],
    w1Candidate: [layout.candidate.length, hidden],
    w1Load: [layout.load.length, hidden],
    b1: [hidden],
    w2: [hidden, hidden],
    b2: [hidden],
    w3: [hidden, layout.outputs.length],
    b3: [layout.outputs.length],
  };
}

/** Inputs of a batch of rows, raw (not normalised), row-major. */
export interface RowInputs {
  state: Float32Array;
  candidate: Float32Array;
  load: Float32Array;
}

function normalise(values: Float32Array, mean: readonly number[], std: readonly number[], min?: readonly number[], max?: readonly number[]): Float32Array {
  const width = mean.length;
  const out = new Float32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const c = i % width;
    let v = values[i] ?? 0;
    if (min && max) v = Math.min(max[c] ?? v, Math.max(min[c] ?? v, v));
    out[i] = (v - (mean[c] ?? 0)) / (std[c] ?? 1);
  }
  return out;
}

/** Normalised (and range-clipped) state rows. */
export function normaliseState(norm: Normaliser, values: Float32Array): Float32Array {
  return normalise(values, norm.stateMean, norm.stateStd, norm.stateMin, norm.stateMax);
}

export function normaliseLoad(norm: Normaliser, values: Float32Array): Float32Array {
  return normalise(values, norm.loadMean, norm.loadStd, norm.loadMin, norm.loadMax);
}

export function normaliseCandidate(norm: Normaliser, values: Float32Array): Float32Array {
  return normalise(values, norm.candidateMean, norm.candidateStd);
}

/**
 * The thermal model: a two-hidden-layer MLP over [state, candidate, load] → changes of the CPU and drive readings
 * (and the coolant, in the liquid layout) over the horizons. The first layer is split by input group so MPC can evaluate K candidates for N hosts in one
 * call while computing the state part once per host: h1 = relu(state·Ws + load·Wl + b1 + candidate·Wc).
 * Weights are plain tensors (not tf.layers), so training, batched inference and the file format stay ours.
 */
export class ThermalMlp {
  readonly hidden: number;
  readonly norm: Normaliser;
  readonly layout: ModelLayout;
  private readonly weights: Record<WeightName, tf.Variable>;

  constructor(hidden: number, norm: Normaliser, weights?: WeightSet, seed = 1, layout: ModelLayout = AIR_LAYOUT) {
    this.hidden = hidden;
    this.norm = norm;
    this.layout = layout;
    const shapeOf = shapes(hidden, layout);
    const fanInFirst = layout.state.length + layout.candidate.length + layout.load.length;
    const instance = ++instances;
    const entries = WEIGHT_NAMES.map((name, i) => {
      const shape = shapeOf[name];
      const given = weights?.[name];
      if (given && given.shape.join("x") !== shape.join("x")) throw new RangeError(`thermal model weight ${name}: shape ${given.shape.join("x")}, expected ${shape.join("x")}`);
      const fanIn = name === "w1State" || name === "w1Candidate" || name === "w1Load" ? fanInFirst : (shape[0] ?? 1);
      const limit = Math.sqrt(6 / (fanIn + (shape[shape.length - 1] ?? 1)));
      const init = given ? tf.tensor(given.values, shape) : shape.length === 1 ? tf.zeros(shape) : tf.randomUniform(shape, -limit, limit, "float32", seed + i);
      return [name, tf.variable(init, true, `thermal_${instance}_${name}`)] as const;
    });
    this.weights = Object.fromEntries(entries) as Record<WeightName, tf.Variable>;
  }

  get variables(): tf.Variable[] {
    return WEIGHT_NAMES.map((n) => this.weights[n]);
  }

  /** Normalised outputs for normalised row inputs (training and pairwise prediction). */
  forwardRows(state: tf.Tensor2D, candidate: tf.Tensor2D, load: tf.Tensor2D): tf.Tensor2D {
    const w = this.weights;
    const h1 = tf.relu(tf.matMul(state, w.w1State).add(tf.matMul(candidate, w.w1Candidate)).add(tf.matMul(load, w.w1Load)).add(w.b1));
    const h2 = tf.relu(tf.matMul(h1, w.w2).add(w.b2));
    return tf.matMul(h2, w.w3).add(w.b3);
  }

  /** Denormalised predictions for rows of raw inputs: Float32Array [rows × outputs]. */
  predictRows(rows: RowInputs): Float32Array {
    const { state, candidate, load } = this.widths;
    const n = rows.state.length / state;
    const out = tf.tidy(() =>
      this.forwardRows(
        tf.tensor2d(normaliseState(this.norm, rows.state), [n, state]),
        tf.tensor2d(normaliseCandidate(this.norm, rows.candidate), [n, candidate]),
        tf.tensor2d(normaliseLoad(this.norm, rows.load), [n, load]),
      ),
    );
    const values = out.dataSync() as Float32Array;
    out.dispose();
    return this.denormalise(values);
  }

  /** Column counts of the layout: state, candidate, load, outputs. */
  get widths(): { state: number; candidate: number; load: number; outputs: number } {
    const l = this.layout;
    return { state: l.state.length, candidate: l.candidate.length, load: l.load.length, outputs: l.outputs.length };
  }

  /**
   * One call for a fleet: N hosts (state and load rows) × K candidates, each held over every horizon: fan levels,
   * and with the liquid layout a pump level per candidate (candidatePumpPcts[i] goes with candidateFanPcts[i]).
   * Returns Float32Array [N × K × outputs], host-major.
   */
  predictGrid(state: Float32Array, load: Float32Array, candidateFanPcts: readonly number[], candidatePumpPcts?: readonly number[]): Float32Array {
    const widths = this.widths;
    const n = state.length / widths.state;
    const k = candidateFanPcts.length;
    if (candidatePumpPcts && candidatePumpPcts.length !== k) throw new RangeError(`predictGrid: ${k} fan levels but ${candidatePumpPcts.length} pump levels`);
    const candidates = new Float32Array(k * widths.candidate);
    candidateFanPcts.forEach((pct, i) => candidates.set(this.layout.heldCandidate(pct, candidatePumpPcts?.[i] ?? 0), i * widths.candidate));
    const w = this.weights;
    const out = tf.tidy(() => {
      const s = tf.tensor2d(normaliseState(this.norm, state), [n, widths.state]);
      const l = tf.tensor2d(normaliseLoad(this.norm, load), [n, widths.load]);
      const c = tf.tensor2d(normaliseCandidate(this.norm, candidates), [k, widths.candidate]);
      const hostPart = tf.matMul(s, w.w1State).add(tf.matMul(l, w.w1Load)).add(w.b1);
      const candidatePart = tf.matMul(c, w.w1Candidate);
      const h1 = tf.relu(hostPart.expandDims(1).add(candidatePart.expandDims(0))).reshape([n * k, this.hidden]);
      // N × K rows: the bias and ReLU fused into the product save two passes over the largest tensors (same layers
      // as forwardRows; the sums agree to float32 rounding).
      const h2 = tf.fused.matMul({ a: h1, b: w.w2, bias: w.b2, activation: "relu" });
      return tf.fused.matMul({ a: h2, b: w.w3, bias: w.b3 });
    });
    const values = out.dataSync() as Float32Array;
    out.dispose();
    return this.denormalise(values);
  }

  weightSet(): WeightSet {
    return Object.fromEntries(WEIGHT_NAMES.map((n) => [n, { shape: this.weights[n].shape, values: this.weights[n].dataSync() as Float32Array }]));
  }

  /** Overwrites the weights (keeping the best epoch during training). */
  assign(weights: WeightSet): void {
    for (const n of WEIGHT_NAMES) {
      const given = weights[n];
      if (given) this.weights[n].assign(tf.tensor(given.values, given.shape));
    }
  }

  dispose(): void {
    for (const v of this.variables) v.dispose();
  }

  private denormalise(values: Float32Array): Float32Array {
    const outputs = this.layout.outputs.length;
    const std = Float64Array.from({ length: outputs }, (_, c) => this.norm.outStd[c] ?? 1);
    const mean = Float64Array.from({ length: outputs }, (_, c) => this.norm.outMean[c] ?? 0);
    for (let row = 0; row < values.length; row += outputs) {
      for (let c = 0; c < outputs; c++) values[row + c] = (values[row + c] ?? 0) * (std[c] ?? 1) + (mean[c] ?? 0);
    }
    return values;
  }
}

/** Column statistics over a dataset (masked targets excluded); a constant column gets std 1. */
export function fitNormaliser(
  ds: { size: number; state: Float32Array; candidate: Float32Array; load: Float32Array; target: Float32Array; mask: Float32Array },
  layout: ModelLayout = AIR_LAYOUT,
): Normaliser {
  const stats = (values: Float32Array, width: number, mask?: Float32Array): { mean: number[]; std: number[]; min: number[]; max: number[] } => {
    const mean: number[] = [];
    const std: number[] = [];
    const min: number[] = [];
    const max: number[] = [];
    for (let c = 0; c < width; c++) {
      let sum = 0;
      let sq = 0;
      let count = 0;
      let lo = Number.POSITIVE_INFINITY;
      let hi = Number.NEGATIVE_INFINITY;
      for (let r = 0; r < ds.size; r++) {
        if (mask && mask[r * width + c] === 0) continue;
        const v = values[r * width + c] ?? 0;
        lo = Math.min(lo, v);
        hi = Math.max(hi, v);
        sum += v;
        sq += v * v;
        count++;
      }
      const m = count > 0 ? sum / count : 0;
      const sd = count > 1 ? Math.sqrt(Math.max(0, sq / count - m * m)) : 1;
      mean.push(m);
      std.push(sd > 1e-6 ? sd : 1);
      min.push(Number.isFinite(lo) ? lo : 0);
      max.push(Number.isFinite(hi) ? hi : 0);
    }
    return { mean, std, min, max };
  };
  const s = stats(ds.state, layout.state.length);
  const c = stats(ds.candidate, layout.candidate.length);
  const l = stats(ds.load, layout.load.length);
  const o = stats(ds.target, layout.outputs.length, ds.mask);
  return {
    stateMean: s.mean,
    stateStd: s.std,
    candidateMean: c.mean,
    candidateStd: c.std,
    loadMean: l.mean,
    loadStd: l.std,
    outMean: o.mean,
    outStd: o.std,
    stateMin: s.min,
    stateMax: s.max,
    loadMin: l.min,
    loadMax: l.max,
  };
}
