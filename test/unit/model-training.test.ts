import { beforeAll, describe, expect, it } from "vitest";
import { simulatedSequences } from "../../bench/closed-loop/training-data.js";
import { selectTfBackend } from "../../src/controller/model/backend.js";
import { buildDataset, type ThermalDataset } from "../../src/controller/model/dataset.js";
import { evaluateModel } from "../../src/controller/model/evaluation.js";
import { N_CANDIDATE, N_LOAD, N_OUTPUTS, N_STATE } from "../../src/controller/model/feature-spec.js";
import { trainThermalMlp, type TrainingResult } from "../../src/controller/model/training.js";

/** A tiny data set from the simulator: three hosts, twenty minutes of three training workloads; held out: W2. */
let train: ThermalDataset;
let heldOut: ThermalDataset;
let trained: TrainingResult;

beforeAll(async () => {
  await selectTfBackend();
  train = buildDataset(simulatedSequences({ workloads: ["W1", "W3", "W4"], hosts: 3, seed: 11, durationS: 1200 }), { stride: 2 });
  heldOut = buildDataset(simulatedSequences({ workloads: ["W2"], hosts: 2, seed: 12, durationS: 900 }), { stride: 4 });
  // The best epoch is picked on the training rows: choosing it on the held-out rows would leak them into the model.
  trained = trainThermalMlp(train, train, { hidden: 16, epochs: 20, batchSize: 128, learningRate: 0.01, seed: 3 });
}, 60_000);

describe("thermal model training", () => {
  it("learns the simulator well below a persistence forecast on a held-out workload", () => {
    const e = evaluateModel(trained.model, heldOut);
    expect(heldOut.size).toBeGreaterThan(100);
    expect(e.maeC.cpuIn60C).toBeLessThan(0.5 * (e.persistenceMaeC.cpuIn60C ?? 0));
    expect(e.maeC.cpuIn30C).toBeLessThan(0.6 * (e.persistenceMaeC.cpuIn30C ?? 0));
    expect(e.cpu60MaeVsCleanC).toBeDefined();
  });

  it("predicts a whole fleet's candidate grid in one call, consistent with row-by-row prediction", () => {
    const hosts = 5;
    const state = train.state.slice(0, hosts * N_STATE);
    const load = train.load.slice(0, hosts * N_LOAD);
    const grid = trained.model.predictGrid(state, load, [30, 60, 90]);
    expect(grid.length).toBe(hosts * 3 * N_OUTPUTS);
    const candidate = new Float32Array(hosts * N_CANDIDATE);
    for (let i = 0; i < hosts; i++) candidate.set([60, 60, 60, 60, 0.6 ** -0.94, 0.6 ** -0.94], i * N_CANDIDATE);
    const rows = trained.model.predictRows({ state, candidate, load });
    for (let i = 0; i < hosts; i++) for (let o = 0; o < N_OUTPUTS; o++) expect(grid[(i * 3 + 1) * N_OUTPUTS + o]).toBeCloseTo(rows[i * N_OUTPUTS + o] ?? 0, 3);
  });

  it("predicts a hotter CPU for a slower fan", () => {
    const grid = trained.model.predictGrid(train.state.slice(0, N_STATE), train.load.slice(0, N_LOAD), [25, 100]);
    expect(grid[2]).toBeGreaterThan(grid[N_OUTPUTS + 2] ?? Infinity);
  });
});
