import type { HostSequence } from "../../src/controller/model/dataset.js";
import type { PipelineData } from "../../src/controller/model/train-pipeline.js";
import { sampleFromView, type ThermalSample } from "../../src/controller/model/thermal-sample.js";
import type { PlanningPolicy } from "../../src/controller/planner/policy.js";
import { runClosedLoop } from "./engine.js";
import { ExplorationPolicy } from "./exploration-policy.js";
import { benchScenario, HELD_OUT_WORKLOADS, TRAINING_WORKLOADS, type BenchWorkloadId } from "./scenarios.js";

export interface SimDataOptions {
  workloads: readonly BenchWorkloadId[];
  hosts: number;
  seed: number;
  /** Shortens each workload (tests). */
  durationS?: number;
  /** Room temperatures cycled over the runs (default 25 °C only); each workload runs once per room. */
  inletsC?: readonly number[];
  /** Default: exploration (random levels, B2, perturbed B1). */
  policy?: () => PlanningPolicy;
  onRun?: (workload: string, index: number, total: number) => void;
}

/** Closed-loop runs of the simulator recorded as the controller sees them, one sequence per host and workload. */
export function simulatedSequences(options: SimDataOptions): HostSequence[] {
  const sequences: HostSequence[] = [];
  const runs = options.workloads.flatMap((id) => (options.inletsC ?? [undefined]).map((inletC) => ({ id, inletC })));
  runs.forEach(({ id, inletC }, index) => {
    options.onRun?.(id, index, runs.length);
    const samples: ThermalSample[][] = Array.from({ length: options.hosts }, () => []);
    const clean: number[][] = Array.from({ length: options.hosts }, () => []);
    runClosedLoop({
      policy: options.policy?.() ?? new ExplorationPolicy(options.seed),
      scenario: benchScenario(id, options.durationS, inletC),
      seed: options.seed + index,
      hosts: options.hosts,
      objectiveMode: "energy",
      observer: (r) => {
        samples[r.hostIndex]?.push(sampleFromView(r.view));
        clean[r.hostIndex]?.push(r.cleanCpuC);
      },
    });
    samples.forEach((s, i) => sequences.push({ hostId: `sim-${id}-${options.seed + index}-${i}`, source: `sim:${id}`, samples: s, cleanCpuC: clean[i] ?? [] }));
  });
  return sequences;
}

/** Room temperatures the training runs cover (the training workloads themselves run at 25 °C). */
export const TRAINING_INLETS_C = [22, 25, 28, 31] as const;

export interface SimSplitOptions {
  /** Hosts per training run. */
  hosts: number;
  seed: number;
  durationS?: number;
  onRun?: (workload: string, index: number, total: number) => void;
}

/**
 * The simulator's data for `coolfleet model train --sim`: training runs of the training workloads in four rooms,
 * validation runs of the same workloads on other hosts, held-out runs of the held-out workloads (never trained on).
 */
export function simSplit(options: SimSplitOptions): PipelineData {
  const total = TRAINING_WORKLOADS.length * (TRAINING_INLETS_C.length + 1) + HELD_OUT_FOR_MODEL.length;
  let done = 0;
  const progress = (workload: string): void => options.onRun?.(workload, done++, total);
  const common = { ...(options.durationS !== undefined ? { durationS: options.durationS } : {}), onRun: progress };
  const train = simulatedSequences({ workloads: TRAINING_WORKLOADS, hosts: options.hosts, seed: options.seed, inletsC: TRAINING_INLETS_C, ...common });
  const validation = simulatedSequences({ workloads: TRAINING_WORKLOADS, hosts: Math.max(1, Math.ceil(options.hosts / 2)), seed: options.seed + 500, ...common });
  const heldOut = simulatedSequences({ workloads: HELD_OUT_FOR_MODEL, hosts: Math.max(1, Math.ceil(options.hosts / 2)), seed: options.seed + 1000, ...common });
  return { train, validation, heldOut, trainedOn: `sim:${TRAINING_WORKLOADS.join(",")} at ${TRAINING_INLETS_C.join("/")} °C`, periodMs: 1000 };
}

/** W9's fault injection is judged in the benchmark (fallback), not as model accuracy. */
const HELD_OUT_FOR_MODEL: readonly BenchWorkloadId[] = HELD_OUT_WORKLOADS.filter((w) => w !== "W9");
