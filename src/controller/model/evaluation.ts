import type { ThermalDataset } from "./dataset.js";
import type { ThermalMlp } from "./thermal-mlp.js";

/** Mean absolute errors in °C on one dataset; persistence = "it stays where it is now". */
export interface ModelEvaluation {
  rows: number;
  /** Per output (the layout's order), against the (3-period mean) reading. */
  maeC: Record<string, number>;
  persistenceMaeC: Record<string, number>;
  /** The 60 s CPU prediction against the simulator's noise-free reading (undefined without a simulator). */
  cpu60MaeVsCleanC?: number;
  /** Wall time per row of a batched prediction, ms. */
  msPerRow: number;
}

/** Predicts every row with the load over the horizon as it happened (the model's own accuracy). */
export function evaluateModel(model: ThermalMlp, ds: ThermalDataset): ModelEvaluation {
  if (model.layout.kind !== ds.layout.kind) throw new RangeError(`a ${model.layout.kind} model cannot be evaluated on ${ds.layout.kind} rows`);
  const { state: N_STATE, candidate: N_CANDIDATE, load: N_LOAD, outputs: N_OUTPUTS } = model.widths;
  const OUTPUTS = ds.layout.outputs;
  const startedMs = performance.now();
  const predicted = model.predictRows({ state: ds.state.subarray(0, ds.size * N_STATE), candidate: ds.candidate.subarray(0, ds.size * N_CANDIDATE), load: ds.load.subarray(0, ds.size * N_LOAD) });
  const msPerRow = (performance.now() - startedMs) / Math.max(1, ds.size);
  const maeC: Record<string, number> = {};
  const persistenceMaeC: Record<string, number> = {};
  OUTPUTS.forEach((name, o) => {
    let err = 0;
    let pers = 0;
    let count = 0;
    for (let r = 0; r < ds.size; r++) {
      if (ds.mask[r * N_OUTPUTS + o] === 0) continue;
      const actual = ds.target[r * N_OUTPUTS + o] ?? 0;
      err += Math.abs((predicted[r * N_OUTPUTS + o] ?? 0) - actual);
      pers += Math.abs(actual);
      count++;
    }
    maeC[name] = count > 0 ? err / count : Number.NaN;
    persistenceMaeC[name] = count > 0 ? pers / count : Number.NaN;
  });
  let clean = 0;
  let cleanCount = 0;
  const cpu60 = OUTPUTS.indexOf("cpuIn60C");
  for (let r = 0; r < ds.size; r++) {
    const truth = ds.cleanCpuIn60C[r] ?? Number.NaN;
    if (!Number.isFinite(truth)) continue;
    clean += Math.abs((ds.cpuNowC[r] ?? 0) + (predicted[r * N_OUTPUTS + cpu60] ?? 0) - truth);
    cleanCount++;
  }
  return { rows: ds.size, maeC, persistenceMaeC, ...(cleanCount > 0 ? { cpu60MaeVsCleanC: clean / cleanCount } : {}), msPerRow };
}
