import type { Rng } from "../rng.js";

/**
 * Utilisation jitter as an AR(1) process sampled once per second: real load wanders with some memory rather than
 * flickering independently each second, and a controller has to cope with both. Precomputed, so at(t) stays a pure
 * lookup and a workload can be replayed in any order.
 */
export class LoadNoise {
  private readonly samples: Float32Array;

  constructor(rng: Rng, durationS: number, sd: number, correlationS: number) {
    const count = Math.ceil(Math.max(0, durationS)) + 1;
    this.samples = new Float32Array(count);
    const phi = Math.exp(-1 / correlationS);
    const innovationSd = sd * Math.sqrt(1 - phi * phi);
    let x = rng.normal(0, sd);
    for (let k = 0; k < count; k++) {
      this.samples[k] = x;
      x = phi * x + rng.normal(0, innovationSd);
    }
  }

  at(tS: number): number {
    const k = Math.min(this.samples.length - 1, Math.max(0, Math.floor(tS)));
    return this.samples[k] ?? 0;
  }
}

/** Alternating phases with seeded lengths, precomputed up to the duration. */
export class PhaseSchedule<P> {
  private readonly starts: number[] = [];
  private readonly phases: P[] = [];

  constructor(durationS: number, next: (index: number) => { phase: P; lengthS: number }) {
    let t = 0;
    for (let i = 0; t <= durationS; i++) {
      const { phase, lengthS } = next(i);
      this.starts.push(t);
      this.phases.push(phase);
      t += Math.max(1, lengthS);
    }
  }

  /** The phase at tS and the seconds since it began. */
  at(tS: number): { phase: P; sinceS: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((this.starts[mid] ?? 0) <= tS) lo = mid;
      else hi = mid - 1;
    }
    return { phase: this.phases[lo] as P, sinceS: tS - (this.starts[lo] ?? 0) };
  }
}

export function uniform(rng: Rng, min: number, max: number): number {
  return min + (max - min) * rng.next();
}

export function clampUtil(util: number): number {
  return Math.min(1, Math.max(0, util));
}
