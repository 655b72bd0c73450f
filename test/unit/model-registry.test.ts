import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simulatedSequences } from "../../bench/closed-loop/training-data.js";
import { selectTfBackend } from "../../src/controller/model/backend.js";
import { buildDataset, type ThermalDataset } from "../../src/controller/model/dataset.js";
import { N_LOAD, N_STATE } from "../../src/controller/model/feature-spec.js";
import { ModelRegistry } from "../../src/controller/model/model-registry.js";
import type { ModelProvenance } from "../../src/controller/model/model-file.js";
import { ThermalMlp } from "../../src/controller/model/thermal-mlp.js";
import { trainThermalMlp } from "../../src/controller/model/training.js";

let dir: string;
let data: ThermalDataset;
let good: ThermalMlp;
let bad: ThermalMlp;
const NOW = "2026-01-01T00:00:00.000Z";
const provenance: ModelProvenance = { trainedOn: "test", trainRows: 1, validationRows: 1, epochs: 1, bestEpoch: 1, trainingMs: 1, backend: "test" };

beforeAll(async () => {
  await selectTfBackend();
  dir = mkdtempSync(join(tmpdir(), "coolfleet-models-"));
  data = buildDataset(simulatedSequences({ workloads: ["W3"], hosts: 2, seed: 21, durationS: 600 }), { stride: 3 });
  good = trainThermalMlp(data, data, { hidden: 8, epochs: 8, batchSize: 64, seed: 1 }).model;
  // Same layout, untrained weights: a model that must never replace a trained one.
  bad = new ThermalMlp(8, good.norm, undefined, 99);
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("model registry", () => {
  it("starts cold: no versions, no current model", () => {
    const registry = new ModelRegistry(join(dir, "empty"));
    expect(registry.versions()).toEqual([]);
    expect(registry.current()).toBeUndefined();
  });

  it("tells the serving model's width without loading it: none at cold start or from an unreadable file", () => {
    const registry = new ModelRegistry(join(dir, "width"));
    expect(registry.currentHidden()).toBeUndefined();
    const v1 = registry.save(good, 1000, provenance, NOW);
    expect(registry.currentHidden()).toBeUndefined(); // saved, not promoted
    registry.promote(v1, "test", NOW);
    expect(registry.currentHidden()).toBe(8);
    writeFileSync(join(dir, "width", `${v1}.json`), "{ not json");
    expect(registry.currentHidden()).toBeUndefined();
    // Loading it names the file.
    expect(() => registry.current()).toThrow(`${join(dir, "width", "v0001.json")}: cannot read this model file`);
  });

  it("saves numbered versions that load back to the same predictions", () => {
    const registry = new ModelRegistry(join(dir, "roundtrip"));
    const v1 = registry.save(good, 1000, provenance, NOW);
    const v2 = registry.save(bad, 1000, provenance, NOW);
    expect([v1, v2]).toEqual(["v0001", "v0002"]);
    const loaded = registry.load(v1).model;
    const state = data.state.slice(0, 4 * N_STATE);
    const load = data.load.slice(0, 4 * N_LOAD);
    expect([...loaded.predictGrid(state, load, [20, 50, 100])]).toEqual([...good.predictGrid(state, load, [20, 50, 100])]);
  });

  it("promotes the first model, refuses a worse one and takes a better one, judging both on the same held-out rows", () => {
    const registry = new ModelRegistry(join(dir, "promotion"));
    const vGood = registry.save(good, 1000, provenance, NOW);
    expect(registry.promoteIfBetter(vGood, good, data, NOW).promoted).toBe(true);
    const vBad = registry.save(bad, 1000, provenance, NOW);
    const refused = registry.promoteIfBetter(vBad, bad, data, NOW);
    expect(refused.promoted).toBe(false);
    expect(refused.candidateMaeC).toBeGreaterThan(refused.currentMaeC ?? Infinity);
    expect(refused.reason).toMatch(/kept v0001/);
    expect(registry.currentPointer()?.version).toBe(vGood);
    // The other way round the better one wins.
    const other = new ModelRegistry(join(dir, "promotion-2"));
    other.promoteIfBetter(other.save(bad, 1000, provenance, NOW), bad, data, NOW);
    const v = other.save(good, 1000, provenance, NOW);
    expect(other.promoteIfBetter(v, good, data, NOW).promoted).toBe(true);
    expect(other.currentPointer()?.version).toBe(v);
  });

  it("refuses a file of another feature layout instead of predicting nonsense", () => {
    const registry = new ModelRegistry(join(dir, "layout"));
    const v = registry.save(good, 1000, provenance, NOW);
    const path = join(registry.dir, `${v}.json`);
    const file = JSON.parse(readFileSync(path, "utf8")) as { features: { state: string[] } };
    file.features.state = file.features.state.slice(1);
    writeFileSync(path, JSON.stringify(file));
    expect(() => registry.load(v)).toThrow(/feature layout/);
  });
});
