import { selectTfBackend } from "../../src/controller/model/backend.js";
import { buildDataset, type HostSequence } from "../../src/controller/model/dataset.js";
import { evaluateModel } from "../../src/controller/model/evaluation.js";
import { LAYOUTS, type CoolingKind } from "../../src/controller/model/model-layout.js";
import { trainThermalMlp } from "../../src/controller/model/training.js";
import { TRAINING_WORKLOADS, type BenchWorkloadId } from "./scenarios.js";
import { recordGroups, SIM_PROFILE_BY_COOLING, simulatedSequences, TRAINING_INLETS_C, trainingRunGroups } from "./training-data.js";

/**
 * How a change to the training data is judged without the held-out workloads: leave one training workload out.
 * For each fold the model trains on the other three training workloads (and their speed variants), picks its epoch
 * on other hosts of those three, and is scored on the fourth, which neither saw. A recipe that generalises to a
 * workload shape it never trained on scores lower here; a recipe that only fits the training shapes does not.
 *
 * `node dist/bench/closed-loop/model-selection.js lowo <air|liquid> <envelope runs> [fold …]` prints one JSON line
 * per fold.
 */

const HOSTS = 12;
const SEED = 2001;
const STRIDE = 3;

function foldData(cooling: CoolingKind, left: BenchWorkloadId, envelopeRuns: number): { train: HostSequence[]; pick: HostSequence[]; score: HostSequence[] } {
  const inFold = TRAINING_WORKLOADS.filter((w) => w !== left);
  const profile = SIM_PROFILE_BY_COOLING[cooling];
  const profileIds = [profile];
  const train = recordGroups(trainingRunGroups({ workloads: inFold, seed: SEED, envelopeRuns, profileId: profile }), { hosts: HOSTS, profileIds });
  const pick = simulatedSequences({ workloads: inFold, hosts: HOSTS / 2, seed: SEED + 500, inletsC: TRAINING_INLETS_C, profileIds });
  const score = simulatedSequences({ workloads: [left], hosts: HOSTS / 2, seed: SEED + 600, inletsC: TRAINING_INLETS_C, profileIds });
  return { train, pick, score };
}

async function leaveOneOut(cooling: CoolingKind, envelopeRuns: number, folds: readonly BenchWorkloadId[]): Promise<void> {
  const layout = LAYOUTS[cooling];
  await selectTfBackend((line) => console.error(line));
  for (const left of folds) {
    const { train, pick, score } = foldData(cooling, left, envelopeRuns);
    const trainDs = buildDataset(train, { stride: STRIDE, layout });
    const pickDs = buildDataset(pick, { stride: STRIDE * 2, layout });
    const scoreDs = buildDataset(score, { stride: STRIDE * 2, layout });
    const result = trainThermalMlp(trainDs, pickDs, { seed: 1, epochs: 40, hidden: 64, batchSize: 512 });
    const scored = evaluateModel(result.model, scoreDs);
    const picked = evaluateModel(result.model, pickDs);
    result.model.dispose();
    const r3 = (x: number | undefined): number => Math.round((x ?? Number.NaN) * 1000) / 1000;
    console.log(
      JSON.stringify({
        cooling,
        envelopeRuns,
        left,
        rows: { train: trainDs.size, pick: pickDs.size, score: scoreDs.size },
        bestEpoch: result.bestEpoch,
        trainingS: Math.round(result.trainingMs / 1000),
        leftOut: { cpu10: r3(scored.maeC.cpuIn10C), cpu30: r3(scored.maeC.cpuIn30C), cpu60: r3(scored.maeC.cpuIn60C), clean60: r3(scored.cpu60MaeVsCleanC), persistence60: r3(scored.persistenceMaeC.cpuIn60C) },
        inFold: { cpu60: r3(picked.maeC.cpuIn60C) },
      }),
    );
  }
}

const [command, cooling, runs, ...folds] = process.argv.slice(2);
if (command !== "lowo" || (cooling !== "air" && cooling !== "liquid") || runs === undefined || !/^\d+$/.test(runs)) {
  console.error("usage: model-selection.js lowo <air|liquid> <envelope runs> [W1|W3|W4|W7 …]");
  process.exit(2);
}
const chosen = (folds.length > 0 ? folds : TRAINING_WORKLOADS) as BenchWorkloadId[];
const unknown = chosen.filter((f) => !TRAINING_WORKLOADS.includes(f));
if (unknown.length > 0) {
  console.error(`not a training workload: ${unknown.join(", ")} (folds leave out one of ${TRAINING_WORKLOADS.join(", ")})`);
  process.exit(2);
}
await leaveOneOut(cooling, Number(runs), chosen);
