import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { simulatedSequences } from "../../bench/closed-loop/training-data.js";
import { selectTfBackend } from "../../src/controller/model/backend.js";
import { buildDataset, type ThermalDataset } from "../../src/controller/model/dataset.js";
import { evaluateModel } from "../../src/controller/model/evaluation.js";
import { AIR_LAYOUT, LIQUID_LAYOUT, LIQUID_OUTPUTS } from "../../src/controller/model/model-layout.js";
import { liquidRegistryDir, ModelRegistry } from "../../src/controller/model/model-registry.js";
import { trainThermalMlp, type TrainingResult } from "../../src/controller/model/training.js";

/** Liquid-cooled R750s under the exploration policy (random fan and pump levels, B2, perturbed B1). */
let train: ThermalDataset;
let heldOut: ThermalDataset;
let trained: TrainingResult;
const LIQUID = ["poweredge-r750-liquid"];
const nState = LIQUID_LAYOUT.state.length;
const nCandidate = LIQUID_LAYOUT.candidate.length;
const nLoad = LIQUID_LAYOUT.load.length;
const nOut = LIQUID_OUTPUTS.length;
const CPU60 = LIQUID_OUTPUTS.indexOf("cpuIn60C");
const COOLANT60 = LIQUID_OUTPUTS.indexOf("coolantIn60C");

beforeAll(async () => {
  await selectTfBackend();
  train = buildDataset(simulatedSequences({ workloads: ["W1", "W3", "W4"], hosts: 6, seed: 21, durationS: 1200, profileIds: LIQUID }), { stride: 2, layout: LIQUID_LAYOUT });
  heldOut = buildDataset(simulatedSequences({ workloads: ["W2"], hosts: 2, seed: 22, durationS: 900, profileIds: LIQUID }), { stride: 4, layout: LIQUID_LAYOUT });
  trained = trainThermalMlp(train, train, { hidden: 16, epochs: 20, batchSize: 128, learningRate: 0.01, seed: 3 });
}, 90_000);

describe("thermal model for liquid-cooled hosts", () => {
  it("has the pump in its inputs and the coolant in its targets, and rows a liquid host really has", () => {
    expect(train.layout.kind).toBe("liquid");
    expect(train.state.length).toBe(train.size * nState);
    expect(train.candidate.length).toBe(train.size * nCandidate);
    // Every row has a coolant target, and the pump candidate varies apart from the fans (exploration draws it on its own).
    let coolantRows = 0;
    let pumpApartFromFans = 0;
    for (let r = 0; r < train.size; r++) {
      if (train.mask[r * nOut + COOLANT60] === 1) coolantRows++;
      const fan60 = train.candidate[r * nCandidate + 2] ?? 0;
      const pump60 = train.candidate[r * nCandidate + 8] ?? 0;
      if (Math.abs(fan60 - pump60) > 10) pumpApartFromFans++;
    }
    expect(coolantRows).toBe(train.size);
    expect(pumpApartFromFans).toBeGreaterThan(train.size / 4);
    // The air layout on the same hosts has no coolant output at all.
    expect(AIR_LAYOUT.outputs).not.toContain("coolantIn60C");
  });

  it("learns CPU and coolant well below a persistence forecast on a held-out workload", () => {
    const e = evaluateModel(trained.model, heldOut);
    expect(heldOut.size).toBeGreaterThan(100);
    expect(e.maeC.cpuIn60C).toBeLessThan(0.5 * (e.persistenceMaeC.cpuIn60C ?? 0));
    expect(e.maeC.coolantIn60C).toBeLessThan(0.8 * (e.persistenceMaeC.coolantIn60C ?? 0));
  });

  it("predicts a hotter CPU for a slower pump, and agrees with row-by-row prediction", () => {
    const state = train.state.slice(0, nState);
    const load = train.load.slice(0, nLoad);
    const grid = trained.model.predictGrid(state, load, [40, 40], [30, 100]);
    expect(grid.length).toBe(2 * nOut);
    expect(grid[CPU60]).toBeGreaterThan(grid[nOut + CPU60] ?? Infinity);
    const candidate = new Float32Array(LIQUID_LAYOUT.heldCandidate(40, 100));
    const rows = trained.model.predictRows({ state, candidate, load });
    for (let o = 0; o < nOut; o++) expect(grid[nOut + o]).toBeCloseTo(rows[o] ?? 0, 3);
    expect(() => trained.model.predictGrid(state, load, [40, 60], [30])).toThrow(/pump levels/);
  });

  it("is saved with its layout and served only from a liquid registry", () => {
    const dir = mkdtempSync(join(tmpdir(), "coolfleet-liquid-models-"));
    const liquid = new ModelRegistry(liquidRegistryDir(dir), "liquid");
    const version = liquid.save(trained.model, 1000, { trainedOn: "test", trainRows: train.size, validationRows: 0, epochs: 1, bestEpoch: 1, trainingMs: 0, backend: "test" }, "2026-01-01T00:00:00Z");
    const loaded = liquid.load(version);
    expect(loaded.model.layout.kind).toBe("liquid");
    expect(loaded.file.features.outputs).toEqual([...LIQUID_OUTPUTS]);
    loaded.model.dispose();
    // The same file where air models are expected is refused, with the reason.
    const misplaced = new ModelRegistry(liquidRegistryDir(dir), "air");
    expect(() => misplaced.load(version)).toThrow(/liquid-cooled hosts where air-cooled ones are expected/);
  });
});
