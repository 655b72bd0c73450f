import { selectTfBackend } from "../../src/controller/model/backend.js";
import { liquidRegistryDir, ModelRegistry } from "../../src/controller/model/model-registry.js";
import { MpcPolicy, type MpcPolicyOptions } from "../../src/controller/planner/policy-mpc.js";
import type { BaselineTuning } from "./baseline-tuning.js";
import type { PolicyFactory } from "./policies.js";

/** Builds MPC policies given the baselines' tuning (its fallback is the tuned B2). */
export type MpcFactoryBuilder = (tuning: BaselineTuning) => PolicyFactory;

/**
 * MPC for the bench on the serving model of modelDir. Without one, MPC still runs — as B2 on every host (cold
 * start), which is what a controller without a model does — and the report says so through fallbackShare.
 */
export async function createBenchMpc(modelDir: string, log: (line: string) => void, overrides: Partial<MpcPolicyOptions> = {}): Promise<MpcFactoryBuilder> {
  await selectTfBackend(log);
  const registry = new ModelRegistry(modelDir, "air");
  const loaded = registry.current();
  const liquid = new ModelRegistry(liquidRegistryDir(modelDir), "liquid").current();
  if (loaded) log(`mpc: thermal model ${loaded.version} from ${modelDir} (${loaded.file.provenance.trainedOn})`);
  else log(`mpc: no promoted model in ${modelDir}: cold start, MPC plans every air-cooled host with its fallback, B1 (run: coolfleet model train --sim --out ${modelDir})`);
  if (liquid) log(`mpc: thermal model for liquid-cooled hosts ${liquid.version} from ${liquidRegistryDir(modelDir)} (${liquid.file.provenance.trainedOn})`);
  else log(`mpc: no promoted model in ${liquidRegistryDir(modelDir)}: cold start, MPC plans every liquid-cooled host with its fallback, B1 (run: coolfleet model train --sim --cooling liquid --out ${modelDir})`);
  const warned = new Set<string>();
  return (tuning) => () =>
    new MpcPolicy(loaded?.model, {
      planPeriodMs: 1000,
      b2Gains: tuning.b2Gains,
      liquidModel: liquid?.model,
      // One cold-start line per bench, not per run; fallback lines name the host and are rare.
      log: (line) => {
        if (line.startsWith("mpc: no thermal model")) {
          // One line per bench for each kind of cold start, not one per run.
          if (!warned.has(line)) log(line);
          warned.add(line);
        } else if (process.env.COOLFLEET_BENCH_VERBOSE === "1") {
          log(line);
        }
      },
      ...overrides,
    });
}
