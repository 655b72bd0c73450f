/** Commands are learned in bins this wide (percentage points). */
const BIN_PCT = 10;
/** A bin is trusted once it has seen this many steady samples. */
const MIN_SAMPLES = 3;
/** Weight of a new sample in a bin's running averages. */
const EWMA_ALPHA = 0.2;
/**
 * A learned bin takes only samples within this fraction of what it expects: otherwise the average would chase a fan
 * that is slowing down (each not-yet-low reading pulling the reference down) and the failure would never be seen.
 */
const LEARN_TOLERANCE = 0.2;

interface Bin {
  pct: number;
  value: number;
  samples: number;
}

/**
 * What a fan's RPM (or a pump's RPM, or the coolant flow) reads at a given command, learned from steady periods of
 * healthy operation. A bin's first MIN_SAMPLES samples define it; after that it follows slow drift (worn bearings,
 * dust) within LEARN_TOLERANCE, never a sudden drop. Between two learned bins it interpolates; beyond them it scales the nearest one in proportion
 * (the affinity law: speed and flow ∝ drive).
 */
export class ExpectedSpeedCurve {
  private readonly bins = new Map<number, Bin>();

  learn(pct: number, value: number): void {
    if (!(pct > 0) || !Number.isFinite(value) || value < 0) return;
    const key = Math.min(100 / BIN_PCT, Math.floor(pct / BIN_PCT));
    const bin = this.bins.get(key);
    if (!bin) {
      this.bins.set(key, { pct, value, samples: 1 });
      return;
    }
    if (bin.samples >= MIN_SAMPLES) {
      const binExpected = (bin.value * pct) / bin.pct;
      if (Math.abs(value - binExpected) > LEARN_TOLERANCE * binExpected) return;
    }
    bin.pct += (pct - bin.pct) * EWMA_ALPHA;
    bin.value += (value - bin.value) * EWMA_ALPHA;
    bin.samples++;
  }

  /** The value expected at pct, or undefined while nothing has been learned. */
  expectedAt(pct: number): number | undefined {
    const learned = [...this.bins.values()].filter((b) => b.samples >= MIN_SAMPLES).sort((a, b) => a.pct - b.pct);
    if (learned.length === 0) return undefined;
    let below: Bin | undefined;
    let above: Bin | undefined;
    for (const bin of learned) {
      if (bin.pct <= pct) below = bin;
      else {
        above = bin;
        break;
      }
    }
    if (below && above) return below.value + ((above.value - below.value) * (pct - below.pct)) / (above.pct - below.pct);
    const nearest = (below ?? above)!;
    return (nearest.value * pct) / nearest.pct;
  }
}
