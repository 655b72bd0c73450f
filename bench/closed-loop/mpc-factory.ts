import { selectTfBackend } from "../../src/controller/model/backend.js";
import { ModelRegistry } from "../../src/controller/model/model-registry.js";
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
  const registry = new ModelRegistry(modelDir);
  const loaded = registry.current();
  if (loaded) log(`mpc: thermal model ${loaded.version} from ${modelDir} (${loaded.file.provenance.trainedOn})`);
  else log(`mpc: no promoted model in ${modelDir}: cold start, MPC plans every host with B2 (run: coolfleet model train --sim --out ${modelDir})`);
  let warned = false;
  return (tuning) => () =>
    new MpcPolicy(loaded?.model, {
      planPeriodMs: 1000,
      b2Gains: tuning.b2Gains,
      // One cold-start line per bench, not per run; fallback lines name the host and are rare.
      log: (line) => {
        if (line.startsWith("mpc: no thermal model")) {
          if (!warned) log(line);
          warned = true;
        } else if (process.env.COOLFLEET_BENCH_VERBOSE === "1") {
          log(line);
        }
      },
      ...overrides,
    });
}
