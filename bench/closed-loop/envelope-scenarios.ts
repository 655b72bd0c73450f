import { loadProfile } from "../../firmware-sim/profiles/index.js";
import { createRng, type Rng } from "../../firmware-sim/rng.js";
import { clampUtil, LoadNoise, PhaseSchedule, uniform } from "../../firmware-sim/workloads/load-noise.js";
import type { Workload, WorkloadPoint } from "../../firmware-sim/workloads/workload.js";
import { hostSeed, type BenchScenario } from "./scenarios.js";

/**
 * Operating-envelope exploration: each host gets its own seeded random load over the whole range the hardware and
 * the room allow, so the thermal model sees load, disk traffic and room temperature move at rates and in
 * combinations no single workload has. The ranges come from the machine and the reference envelope, not from any
 * workload: utilisation 0..1; disk throughput up to the sum of the profile's drive maxima; an inlet that drifts at
 * most 20 °C/h inside ASHRAE A2's 15..35 °C.
 */

/** Background I/O every host has (the synthetic workloads' figure). */
const BACKGROUND_DISK_MBPS = 5;
const INLET_MIN_C = 15;
const INLET_MAX_C = 35;
const INLET_MAX_RATE_C_PER_H = 20;
const JITTER_SD_CHOICES = [0.015, 0.05, 0.1] as const;

/** Log-uniform between min and max: as many short segments as long ones on a log scale. */
function logUniform(rng: Rng, min: number, max: number): number {
  return min * Math.exp(Math.log(max / min) * rng.next());
}

interface Segment {
  /** Level reached at the end of the ramp, held until the next segment. */
  level: number;
  /** Seconds to move from the previous level to this one (0 = a step). */
  rampS: number;
}

/** A level that steps or ramps to seeded random targets and holds them: linear between segments. */
class RandomLevel {
  private readonly schedule: PhaseSchedule<Segment & { from: number }>;

  constructor(durationS: number, first: number, next: () => { segment: Segment; holdS: number }) {
    let previous = first;
    this.schedule = new PhaseSchedule(durationS, () => {
      const { segment, holdS } = next();
      const phase = { ...segment, from: previous };
      previous = segment.level;
      return { phase, lengthS: segment.rampS + holdS };
    });
  }

  at(tS: number): number {
    const { phase, sinceS } = this.schedule.at(tS);
    if (phase.rampS <= 0 || sinceS >= phase.rampS) return phase.level;
    return phase.from + ((phase.level - phase.from) * sinceS) / phase.rampS;
  }
}

/** The sum of the profile's drives' maximum throughput (what all drives busy at once can take). */
export function profileMaxDiskMBps(profileId: string): number {
  return loadProfile(profileId).drives.reduce((sum, d) => sum + d.maxMBps, 0);
}

/** One host's random envelope workload; deterministic given the seed. */
export function envelopeWorkload(seed: number, durationS: number, maxDiskMBps: number): Workload {
  const rng = createRng(seed).fork("envelope");
  const utilDraws = rng.fork("util");
  const util = new RandomLevel(durationS, uniform(utilDraws, 0, 1), () => ({
    segment: { level: uniform(utilDraws, 0, 1), rampS: utilDraws.next() < 0.4 ? 0 : logUniform(utilDraws, 20, 900) },
    holdS: logUniform(utilDraws, 20, 900),
  }));
  const jitterSd = JITTER_SD_CHOICES[Math.floor(rng.fork("jitter-choice").next() * JITTER_SD_CHOICES.length)] ?? JITTER_SD_CHOICES[0];
  const jitter = new LoadNoise(rng.fork("jitter"), durationS, jitterSd, 10);
  const diskDraws = rng.fork("disk");
  const diskLevel = (): number => (diskDraws.next() < 0.5 ? BACKGROUND_DISK_MBPS : uniform(diskDraws, BACKGROUND_DISK_MBPS, maxDiskMBps));
  const disk = new RandomLevel(durationS, diskLevel(), () => ({ segment: { level: diskLevel(), rampS: uniform(diskDraws, 0, 60) }, holdS: logUniform(diskDraws, 60, 1800) }));
  const inlet = inletDrift(rng.fork("inlet"), durationS);
  return {
    name: "envelope",
    durationS,
    at(tS: number): WorkloadPoint {
      const t = Math.min(durationS, Math.max(0, tS));
      return { cpuUtil: clampUtil(util.at(t) + jitter.at(t)), diskMBps: Math.max(0, disk.at(t)), inletC: inlet(t) };
    },
  };
}

/** Room temperature: starts in 18..34 °C and moves in straight segments at up to 20 °C/h, reflected at 15 and 35 °C. */
function inletDrift(rng: Rng, durationS: number): (tS: number) => number {
  const knotsS: number[] = [0];
  const knotsC: number[] = [uniform(rng, 18, 34)];
  while ((knotsS.at(-1) ?? 0) < durationS) {
    const lengthS = uniform(rng, 600, 3600);
    const rateCPerS = uniform(rng, -INLET_MAX_RATE_C_PER_H, INLET_MAX_RATE_C_PER_H) / 3600;
    knotsS.push((knotsS.at(-1) ?? 0) + lengthS);
    knotsC.push((knotsC.at(-1) ?? 25) + rateCPerS * lengthS);
  }
  const reflect = (c: number): number => {
    const span = INLET_MAX_C - INLET_MIN_C;
    const x = (((c - INLET_MIN_C) % (2 * span)) + 2 * span) % (2 * span);
    return INLET_MIN_C + (x <= span ? x : 2 * span - x);
  };
  return (tS) => {
    let k = 0;
    while (k < knotsS.length - 2 && (knotsS[k + 1] ?? Infinity) <= tS) k++;
    const s0 = knotsS[k] ?? 0;
    const s1 = knotsS[k + 1] ?? s0 + 1;
    const c0 = knotsC[k] ?? 25;
    const c1 = knotsC[k + 1] ?? c0;
    return reflect(c0 + ((c1 - c0) * (tS - s0)) / (s1 - s0));
  };
}

/** `count` runs of `durationS` each, every host on its own envelope workload. */
export function envelopeScenarios(count: number, durationS: number, profileId: string): { name: string; scenario: BenchScenario }[] {
  const maxDiskMBps = profileMaxDiskMBps(profileId);
  return Array.from({ length: count }, (_, k) => ({
    name: `envelope ${k + 1}`,
    scenario: { name: `envelope-${k + 1}`, durationS, forHost: (i, runSeed) => ({ workload: envelopeWorkload(hostSeed(runSeed, i, "envelope"), durationS, maxDiskMBps), faults: [] }) },
  }));
}
