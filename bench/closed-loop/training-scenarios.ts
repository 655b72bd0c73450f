import { createWorkload, type Workload } from "../../firmware-sim/workloads/index.js";
import { hostSeed, type BenchScenario } from "./scenarios.js";

/**
 * More varied training data from the training workloads' own shapes: W1's steps and W3's bursts played twice as
 * fast and half as fast, W4's staircase with shorter and longer steps and played backwards (a climb from idle to
 * full load), W7's day compressed into 30 minutes and into two hours — each in its own room. The model then sees
 * load changing at other rates than the four workloads' own, which no held-out workload is needed to justify.
 */
export interface TrainingVariant {
  /** Source label of the runs ("W1 ×2 at 27 °C"). */
  name: string;
  scenario: BenchScenario;
}

/** Rooms cycled over the variants: between and beside the main training rooms. */
const VARIANT_INLETS_C = [22, 27, 33, 24, 30, 26] as const;

function scenarioOf(name: string, durationS: number, make: (seed: number) => Workload): BenchScenario {
  return { name, durationS, forHost: (i, runSeed) => ({ workload: make(hostSeed(runSeed, i, "workload")), faults: [] }) };
}

/** A workload played backwards over its duration (noise included; at(t) is a pure function of t). */
function reversed(workload: Workload): Workload {
  return { name: workload.name, durationS: workload.durationS, at: (t) => workload.at(workload.durationS - t) };
}

/** The nine speed variants; durationScale shortens them (tests). */
export function speedVariants(durationScale = 1): TrainingVariant[] {
  const variants: TrainingVariant[] = [];
  let k = 0;
  const nextInletC = (): number => VARIANT_INLETS_C[k++ % VARIANT_INLETS_C.length] ?? 25;
  const length = (s: number): number => Math.max(180, Math.round(s * durationScale));
  for (const id of ["W1", "W3"] as const) {
    for (const speed of [0.5, 2]) {
      const inletC = nextInletC();
      const durationS = length(1800);
      // timeCompression plays the shape `speed` times faster, so it is written speed × longer to fill the run.
      variants.push({ name: `${id} ×${speed} at ${inletC} °C`, scenario: scenarioOf(id, durationS, (seed) => createWorkload(id, { seed, durationS: durationS * speed, inletC, timeCompression: speed })) });
    }
  }
  // W4's eleven steps are a fixed fraction of its length: a shorter run is a faster staircase.
  for (const [fullS, backwards] of [[1100, false], [3300, false], [2640, true]] as const) {
    const inletC = nextInletC();
    const durationS = length(fullS);
    const label = backwards ? `W4 climbing at ${inletC} °C` : `W4 ${Math.round(durationS / 11)} s steps at ${inletC} °C`;
    variants.push({
      name: label,
      scenario: scenarioOf("W4", durationS, (seed) => {
        const w = createWorkload("W4", { seed, durationS, inletC });
        return backwards ? reversed(w) : w;
      }),
    });
  }
  for (const dayS of [1800, 7200]) {
    const inletC = nextInletC();
    const durationS = length(dayS);
    variants.push({ name: `W7 ${dayS / 60}-min day at ${inletC} °C`, scenario: scenarioOf("W7", durationS, (seed) => createWorkload("W7", { seed, durationS, timeCompression: 86_400 / dayS, inletC })) });
  }
  return variants;
}
