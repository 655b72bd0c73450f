import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { RandomGenerator } from "pure-rand/types/RandomGenerator";

/** Seeded randomness for the simulator: the only source of chance in firmware-sim. */
export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Normally distributed (Box–Muller); defaults to the standard normal. */
  normal(mean?: number, sd?: number): number;
  /**
   * An independent stream derived from this stream's seed and the label only, so forks do not depend on how many
   * numbers the parent has drawn: adding a draw somewhere never reshuffles an unrelated part of the simulation.
   */
  fork(label: string): Rng;
}

/** FNV-1a over the label, mixed with the parent key, so fork("a") and fork("b") land far apart. */
function mixKey(parentKey: number, label: string): number {
  let hash = (0x811c9dc5 ^ parentKey) >>> 0;
  for (let i = 0; i < label.length; i++) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return finalize(hash);
}

/** murmur3 finaliser: spreads nearby seeds (1, 2, 3 …) over the whole 32-bit space. */
function finalize(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Folds any finite number (negative, fractional, above 2^32) into a 32-bit key without losing its high bits. */
function seedKey(seed: number): number {
  if (!Number.isFinite(seed)) throw new RangeError(`rng seed must be a finite number; got ${seed}`);
  if (Number.isInteger(seed) && seed >= 0 && seed <= 0xffffffff) return finalize(seed);
  return mixKey(0, String(seed));
}

class SeededRng implements Rng {
  private readonly generator: RandomGenerator;

  constructor(private readonly key: number) {
    this.generator = xoroshiro128plus(key | 0);
  }

  next(): number {
    return uniformFloat64(this.generator);
  }

  normal(mean = 0, sd = 1): number {
    // 1 - u keeps the logarithm's argument in (0, 1].
    const u1 = 1 - this.next();
    const u2 = this.next();
    return mean + sd * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  fork(label: string): Rng {
    return new SeededRng(mixKey(this.key, label));
  }
}

export function createRng(seed: number): Rng {
  return new SeededRng(seedKey(seed));
}
