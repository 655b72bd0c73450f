import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { simSplit } from "../../bench/closed-loop/training-data.js";
import { speedVariants } from "../../bench/closed-loop/training-scenarios.js";
import { selectTfBackend } from "../../src/controller/model/backend.js";
import { ModelRegistry } from "../../src/controller/model/model-registry.js";
import { trainEvaluateRegister, type PipelineData, type PipelineResult } from "../../src/controller/model/train-pipeline.js";

const NOW = "2026-01-01T00:00:00.000Z";
let dir: string;
let data: PipelineData;
let first: PipelineResult;

beforeAll(async () => {
  await selectTfBackend();
  dir = mkdtempSync(join(tmpdir(), "coolfleet-pipeline-"));
  // Ten-minute runs, two hosts each: the whole `model train --sim` recipe in miniature.
  data = simSplit({ hosts: 2, seed: 41, durationS: 600 });
  first = await trainEvaluateRegister(data, { registryDir: dir, hidden: 16, epochs: 12, batchSize: 128, learningRate: 0.01, seed: 3, stride: 2, nowIso: NOW });
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("the simulated training split", () => {
  it("trains on the training workloads in five rooms and on their speed variants, never on a held-out workload", () => {
    const trainSources = new Set(data.train.map((s) => s.source));
    for (const w of ["W1", "W3", "W4", "W7"]) expect(trainSources).toContain(`sim:${w}`);
    expect([...trainSources].filter((s) => / at \d+ °C$/.test(s))).toHaveLength(9);
    for (const s of [...trainSources, ...data.validation.map((x) => x.source)]) expect(s).not.toMatch(/W2|W5|W6|W8|W9|W10/);
    expect(new Set(data.heldOut.map((s) => s.source))).toEqual(new Set(["sim:W2", "sim:W5", "sim:W6", "sim:W8", "sim:W10"]));
    const meanInletC = (samples: readonly { inletC: number }[]): number => samples.reduce((sum, x) => sum + x.inletC, 0) / samples.length;
    const rooms = new Set(data.train.filter((s) => s.source === "sim:W3").map((s) => Math.round(meanInletC(s.samples))));
    expect(rooms).toEqual(new Set([22, 25, 28, 31, 34]));
    // Validation hosts are not training hosts.
    const trainHosts = new Set(data.train.map((s) => s.hostId));
    expect(data.validation.some((s) => trainHosts.has(s.hostId))).toBe(false);
  });

  it("plays the training shapes at other speeds: the climbing W4 goes from idle to full load, W1 ×2 (four times the speed of W1 ×0.5) changes phase more than 2.5 times as often", () => {
    const variants = speedVariants();
    const at = (name: RegExp, t: number): number => {
      const v = variants.find((x) => name.test(x.name));
      if (!v) throw new Error(`no variant ${name.source}`);
      return v.scenario.forHost(0, 7).workload.at(t).cpuUtil;
    };
    expect(at(/^W4 climbing/, 10)).toBeLessThan(0.15);
    expect(at(/^W4 climbing/, 2630)).toBeGreaterThan(0.85);
    const phaseChanges = (name: RegExp): number => {
      let changes = 0;
      for (let t = 5; t < 1800; t += 5) if (Math.abs(at(name, t) - at(name, t - 5)) > 0.5) changes++;
      return changes;
    };
    expect(phaseChanges(/^W1 ×2 /)).toBeGreaterThan(2.5 * phaseChanges(/^W1 ×0.5 /));
  });
});

describe("train → judge → save → promote", () => {
  it("learns: held-out error well below persistence, and reports the validation error the recipe is chosen by", () => {
    expect(first.rows.heldOut).toBeGreaterThan(200);
    expect(first.heldOut.maeC.cpuIn60C).toBeLessThan(0.5 * (first.heldOut.persistenceMaeC.cpuIn60C ?? 0));
    expect(first.validation.rows).toBe(first.rows.validation);
    expect(first.validation.maeC.cpuIn60C).toBeLessThan(0.5 * (first.validation.persistenceMaeC.cpuIn60C ?? 0));
    expect(first.promotion.promoted).toBe(true);
  });

  it("saves a worse model as the next version and keeps serving the better one", async () => {
    // One epoch at a rate too small to move the weights: practically the initial network.
    const worse = await trainEvaluateRegister(data, { registryDir: dir, hidden: 16, epochs: 1, batchSize: 128, learningRate: 1e-6, seed: 3, stride: 2, nowIso: NOW });
    expect(worse.version).toBe("v0002");
    expect(worse.promotion.promoted).toBe(false);
    expect(worse.promotion.candidateMaeC).toBeGreaterThan(worse.promotion.currentMaeC ?? Infinity);
    expect(new ModelRegistry(dir).currentPointer()?.version).toBe(first.version);
  });
});
