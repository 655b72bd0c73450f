import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import { selectTfBackend } from "./backend.js";
import { buildDataset, type HostSequence } from "./dataset.js";
import { evaluateModel, type ModelEvaluation } from "./evaluation.js";
import { LAYOUTS, type CoolingKind } from "./model-layout.js";
import { ModelRegistry, type PromotionDecision } from "./model-registry.js";
import { trainThermalMlp, type TrainingOptions } from "./training.js";

export interface PipelineData {
  train: readonly HostSequence[];
  /** Other hosts of the training workloads: picks the best epoch. */
  validation: readonly HostSequence[];
  /** Workloads the model never trained on: judges it and decides promotion. */
  heldOut: readonly HostSequence[];
  /** "sim:W1,W3,W4,W7" or "store:<path>". */
  trainedOn: string;
  periodMs: number;
  /** Which model: air-cooled hosts (default) or liquid-cooled ones (pump and coolant too). */
  cooling?: CoolingKind;
}

export interface PipelineOptions extends Omit<TrainingOptions, "onEpoch"> {
  registryDir: string;
  /** Rows are taken every stride periods (training); validation and held-out at twice that. */
  stride?: number;
  nowIso: string;
  onEpoch?: TrainingOptions["onEpoch"];
  log?: (line: string) => void;
}

export interface PipelineResult {
  version: string;
  backend: string;
  rows: { train: number; validation: number; heldOut: number };
  /** The chosen epoch on the validation rows (training workloads, other hosts): what a recipe is chosen by. */
  validation: ModelEvaluation;
  heldOut: ModelEvaluation;
  /** Held-out evaluation per source (workload or store), for the report. */
  heldOutBySource: Record<string, ModelEvaluation>;
  promotion: PromotionDecision;
  trainingMs: number;
  bestEpoch: number;
}

/** Builds the datasets, trains, evaluates on held-out data, saves the next version and promotes it only if it is better. */
export async function trainEvaluateRegister(data: PipelineData, options: PipelineOptions): Promise<PipelineResult> {
  const log = options.log ?? (() => undefined);
  const backend = await selectTfBackend(log);
  const stride = options.stride ?? 3;
  const layout = LAYOUTS[data.cooling ?? "air"];
  const train = buildDataset(data.train, { stride, layout });
  const validation = buildDataset(data.validation, { stride: stride * 2, layout });
  const heldOut = buildDataset(data.heldOut, { stride: stride * 2, layout });
  if (train.size === 0) {
    throw new CoolfleetError(ErrorCode.ModelDataInsufficient, `no training rows from ${data.trainedOn}: every sequence needs more than ${60 + 61} periods of telemetry`);
  }
  log(`thermal model (${layout.kind}): ${train.size} training rows, ${validation.size} validation, ${heldOut.size} held-out`);
  const result = trainThermalMlp(train, validation, options);
  const validationEvaluation = evaluateModel(result.model, validation.size > 0 ? validation : train);
  const evaluation = evaluateModel(result.model, heldOut.size > 0 ? heldOut : validation);
  const heldOutBySource: Record<string, ModelEvaluation> = {};
  for (const source of new Set(data.heldOut.map((s) => s.source))) {
    const ds = buildDataset(
      data.heldOut.filter((s) => s.source === source),
      { stride: stride * 2, layout },
    );
    if (ds.size > 0) heldOutBySource[source] = evaluateModel(result.model, ds);
  }
  const registry = new ModelRegistry(options.registryDir, layout.kind);
  const version = registry.save(
    result.model,
    data.periodMs,
    {
      trainedOn: data.trainedOn,
      trainRows: train.size,
      validationRows: validation.size,
      epochs: result.epochs,
      bestEpoch: result.bestEpoch,
      trainingMs: result.trainingMs,
      backend,
      heldOut: evaluation,
    },
    options.nowIso,
  );
  const promotion = registry.promoteIfBetter(version, result.model, heldOut.size > 0 ? heldOut : validation, options.nowIso);
  result.model.dispose();
  return {
    version,
    backend,
    rows: { train: train.size, validation: validation.size, heldOut: heldOut.size },
    validation: validationEvaluation,
    heldOut: evaluation,
    heldOutBySource,
    promotion,
    trainingMs: result.trainingMs,
    bestEpoch: result.bestEpoch,
  };
}
