import * as tf from "@tensorflow/tfjs";
import type { ThermalDataset } from "./dataset.js";
import { fitNormaliser, normaliseCandidate, normaliseLoad, normaliseState, ThermalMlp, type Normaliser } from "./thermal-mlp.js";

export interface TrainingOptions {
  hidden?: number;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  seed?: number;
  /** Called after every epoch (for the CLI's progress line). */
  onEpoch?: (progress: { epoch: number; epochs: number; trainLoss: number; validationLoss: number }) => void;
}

export interface TrainingResult {
  model: ThermalMlp;
  epochs: number;
  bestEpoch: number;
  trainLoss: number;
  validationLoss: number;
  trainingMs: number;
}

/** A small seeded generator for shuffling (the simulator's Rng lives in firmware-sim, which src must not import). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function gather(values: Float32Array, rows: readonly number[], width: number): Float32Array {
  const out = new Float32Array(rows.length * width);
  rows.forEach((r, i) => out.set(values.subarray(r * width, (r + 1) * width), i * width));
  return out;
}

function normalisedTargets(values: Float32Array, norm: Normaliser): Float32Array {
  const width = norm.outMean.length;
  return values.map((v, i) => (v - (norm.outMean[i % width] ?? 0)) / (norm.outStd[i % width] ?? 1));
}

function batchTensors(ds: ThermalDataset, rows: readonly number[], norm: Normaliser) {
  const n = rows.length;
  const N_STATE = ds.layout.state.length;
  const N_CANDIDATE = ds.layout.candidate.length;
  const N_LOAD = ds.layout.load.length;
  const N_OUTPUTS = ds.layout.outputs.length;
  return {
    state: tf.tensor2d(normaliseState(norm, gather(ds.state, rows, N_STATE)), [n, N_STATE]),
    candidate: tf.tensor2d(normaliseCandidate(norm, gather(ds.candidate, rows, N_CANDIDATE)), [n, N_CANDIDATE]),
    load: tf.tensor2d(normaliseLoad(norm, gather(ds.load, rows, N_LOAD)), [n, N_LOAD]),
    target: tf.tensor2d(normalisedTargets(gather(ds.target, rows, N_OUTPUTS), norm), [n, N_OUTPUTS]),
    mask: tf.tensor2d(gather(ds.mask, rows, N_OUTPUTS), [n, N_OUTPUTS]),
  };
}

function maskedMse(model: ThermalMlp, b: ReturnType<typeof batchTensors>): tf.Scalar {
  const err = model.forwardRows(b.state, b.candidate, b.load).sub(b.target).mul(b.mask);
  return tf.sum(tf.square(err)).div(tf.maximum(tf.sum(b.mask), 1));
}

function datasetLoss(model: ThermalMlp, ds: ThermalDataset, norm: Normaliser): number {
  const rows = Array.from({ length: ds.size }, (_, i) => i);
  let total = 0;
  for (let start = 0; start < rows.length; start += 4096) {
    const chunk = rows.slice(start, start + 4096);
    const loss = tf.tidy(() => maskedMse(model, batchTensors(ds, chunk, norm)).mul(chunk.length));
    total += (loss.dataSync()[0] ?? 0);
    loss.dispose();
  }
  return total / Math.max(1, rows.length);
}

/**
 * Adam on masked MSE of normalised targets, mini-batches shuffled from a seed; the weights of the epoch with the
 * lowest validation loss are kept (the validation rows come from hosts the training rows do not).
 */
export function trainThermalMlp(train: ThermalDataset, validation: ThermalDataset, options: TrainingOptions = {}): TrainingResult {
  const startedMs = performance.now();
  const epochs = options.epochs ?? 30;
  const batchSize = options.batchSize ?? 256;
  const seed = options.seed ?? 1;
  const norm = fitNormaliser(train, train.layout);
  const model = new ThermalMlp(options.hidden ?? 32, norm, undefined, seed, train.layout);
  const random = mulberry32(seed);
  const baseRate = options.learningRate ?? 3e-3;
  let optimizer = tf.train.adam(baseRate);
  let best = { loss: Number.POSITIVE_INFINITY, epoch: 0, weights: model.weightSet() };
  let trainLoss = Number.NaN;
  const order = Array.from({ length: train.size }, (_, i) => i);
  for (let epoch = 1; epoch <= epochs; epoch++) {
    // A lower rate for the last third: Adam's noise floor, not the model, limits the final error otherwise.
    if (epoch === Math.floor((2 * epochs) / 3) + 1) {
      optimizer.dispose();
      optimizer = tf.train.adam(baseRate / 5);
    }
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [order[i], order[j]] = [order[j] ?? 0, order[i] ?? 0];
    }
    let sum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const rows = order.slice(start, start + batchSize);
      const loss = tf.tidy(() => {
        const b = batchTensors(train, rows, norm);
        return optimizer.minimize(() => maskedMse(model, b), true, model.variables) ?? tf.scalar(0);
      });
      sum += loss.dataSync()[0] ?? 0;
      loss.dispose();
      batches++;
    }
    trainLoss = sum / Math.max(1, batches);
    const validationLoss = datasetLoss(model, validation.size > 0 ? validation : train, norm);
    if (validationLoss < best.loss) best = { loss: validationLoss, epoch, weights: model.weightSet() };
    options.onEpoch?.({ epoch, epochs, trainLoss, validationLoss });
  }
  optimizer.dispose();
  model.assign(best.weights);
  return { model, epochs, bestEpoch: best.epoch, trainLoss, validationLoss: best.loss, trainingMs: performance.now() - startedMs };
}
