import { layoutOfFeatures } from "./model-layout.js";
import { ThermalMlp, type Normaliser, type WeightSet } from "./thermal-mlp.js";
import type { ModelEvaluation } from "./evaluation.js";

export const MODEL_FORMAT = "coolfleet-thermal-mlp";
export const MODEL_FORMAT_VERSION = 1;

/** What a saved model says about how it was made. */
export interface ModelProvenance {
  /** "sim:W1,W3,W4,W7" or "store:/path/to/db". */
  trainedOn: string;
  trainRows: number;
  validationRows: number;
  epochs: number;
  bestEpoch: number;
  trainingMs: number;
  backend: string;
  /** Held-out evaluation at training time. */
  heldOut?: ModelEvaluation;
}

/**
 * A model on disk: one JSON file with the topology (feature names, sizes), the normaliser and base64 float32
 * weights. Written by hand rather than with tf.io (model.save("file://") needs tfjs-node, and our weights are
 * plain variables, not a LayersModel).
 */
export interface ModelFile {
  format: typeof MODEL_FORMAT;
  formatVersion: number;
  version: string;
  createdAt: string;
  periodMs: number;
  hidden: number;
  features: { state: string[]; candidate: string[]; load: string[]; outputs: string[] };
  norm: Normaliser;
  weights: Record<string, { shape: number[]; base64: string }>;
  provenance: ModelProvenance;
}

function toBase64(values: Float32Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString("base64");
}

function fromBase64(text: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  // Copy into an aligned buffer: Buffer pooling can hand out offsets that are not multiples of 4.
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  return new Float32Array(copy.buffer);
}

export function modelToFile(model: ThermalMlp, meta: { version: string; createdAt: string; periodMs: number; provenance: ModelProvenance }): ModelFile {
  const weights: ModelFile["weights"] = {};
  for (const [name, w] of Object.entries(model.weightSet())) weights[name] = { shape: w.shape, base64: toBase64(w.values) };
  return {
    format: MODEL_FORMAT,
    formatVersion: MODEL_FORMAT_VERSION,
    ...meta,
    hidden: model.hidden,
    features: { state: [...model.layout.state], candidate: [...model.layout.candidate], load: [...model.layout.load], outputs: [...model.layout.outputs] },
    norm: model.norm,
    weights,
  };
}

/** Rebuilds a model; refuses a file whose format or feature layout this code does not produce. */
export function modelFromFile(file: ModelFile, where: string): ThermalMlp {
  if (file.format !== MODEL_FORMAT || file.formatVersion !== MODEL_FORMAT_VERSION) {
    throw new Error(`${where}: not a ${MODEL_FORMAT} v${MODEL_FORMAT_VERSION} model (format ${String(file.format)} v${String(file.formatVersion)}); retrain with coolfleet model train`);
  }
  // The feature names say which layout (air or liquid) a file holds.
  const layout = layoutOfFeatures(file.features);
  if (!layout) throw new Error(`${where}: trained on another feature layout; retrain with coolfleet model train`);
  const weights: WeightSet = {};
  for (const [name, w] of Object.entries(file.weights)) weights[name] = { shape: w.shape, values: fromBase64(w.base64) };
  return new ThermalMlp(file.hidden, file.norm, weights, 1, layout);
}
