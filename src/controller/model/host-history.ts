import type { ThermalSample } from "./thermal-sample.js";

const FIELDS = ["cpuC", "driveC", "inletC", "utilPct", "diskMBps", "fanPct", "pumpPct", "coolantC"] as const;
export type SampleField = (typeof FIELDS)[number];

/**
 * The last `capacity` samples of one host, one per control period, newest last. A missing (NaN) value is filled
 * with the last known one, so a one-period sensor gap does not become a feature spike — for at most
 * `maxFillPeriods` periods in a row (default a minute): a sensor gone for longer is missing, not stuck at its last
 * reading. `gapPeriods` says how long the CPU has been filled in.
 */
export class HostHistory {
  private readonly columns: Record<SampleField, Float64Array>;
  private next = 0;
  private count = 0;
  private cpuGap = 0;
  /** Slow exponential averages (time constant slowTauPeriods): a host's long-run operating point. */
  private readonly slow: Record<"cpuOverInletC" | "utilPct" | "fanPct", number> = { cpuOverInletC: Number.NaN, utilPct: Number.NaN, fanPct: Number.NaN };
  /** Periods in a row each field has been filled in. */
  private readonly filled: Record<SampleField, number>;

  constructor(
    readonly capacity: number,
    private readonly slowTauPeriods = 300,
    private readonly maxFillPeriods = 60,
  ) {
    this.columns = Object.fromEntries(FIELDS.map((f) => [f, new Float64Array(capacity)])) as Record<SampleField, Float64Array>;
    this.filled = Object.fromEntries(FIELDS.map((f) => [f, 0])) as Record<SampleField, number>;
  }

  push(sample: ThermalSample): void {
    const prev = this.count > 0 ? (this.next - 1 + this.capacity) % this.capacity : -1;
    for (const field of FIELDS) {
      const value = sample[field] ?? Number.NaN;
      const column = this.columns[field];
      this.filled[field] = Number.isFinite(value) ? 0 : this.filled[field] + 1;
      column[this.next] = Number.isFinite(value) || prev < 0 || this.filled[field] > this.maxFillPeriods ? value : (column[prev] ?? Number.NaN);
    }
    this.cpuGap = Number.isFinite(sample.cpuC) ? 0 : this.cpuGap + 1;
    const newest = this.next;
    const alpha = 1 - Math.exp(-1 / this.slowTauPeriods);
    const fold = (key: keyof typeof this.slow, value: number): void => {
      if (!Number.isFinite(value)) return;
      const last = this.slow[key];
      this.slow[key] = Number.isFinite(last) ? last + alpha * (value - last) : value;
    };
    fold("cpuOverInletC", (this.columns.cpuC[newest] ?? Number.NaN) - (this.columns.inletC[newest] ?? Number.NaN));
    fold("utilPct", this.columns.utilPct[newest] ?? Number.NaN);
    fold("fanPct", this.columns.fanPct[newest] ?? Number.NaN);
    this.next = (this.next + 1) % this.capacity;
    this.count = Math.min(this.capacity, this.count + 1);
  }

  get length(): number {
    return this.count;
  }

  /** Periods since the CPU reading was last trusted. */
  get gapPeriods(): number {
    return this.cpuGap;
  }

  /** The value `ago` periods back (0 = newest); the oldest held value when the history is shorter. */
  at(field: SampleField, ago: number): number {
    const back = Math.min(Math.max(0, ago), this.count - 1);
    return this.columns[field][(this.next - 1 - back + 2 * this.capacity) % this.capacity] ?? Number.NaN;
  }

  /** The slow average of one quantity (NaN until a value arrived). */
  slowMean(key: "cpuOverInletC" | "utilPct" | "fanPct"): number {
    return this.slow[key];
  }

  /** Mean over ago ∈ [fromAgo, toAgo]. */
  mean(field: SampleField, fromAgo: number, toAgo: number): number {
    // at() for each ago, without its per-call clamping: ages past the oldest sample repeat the oldest.
    const column = this.columns[field];
    const oldest = this.count - 1;
    const newest = this.next - 1 + this.capacity;
    let sum = 0;
    for (let ago = fromAgo; ago <= toAgo; ago++) {
      const back = ago < 0 ? 0 : ago > oldest ? oldest : ago;
      sum += column[(newest - back) % this.capacity] ?? Number.NaN;
    }
    return sum / (toAgo - fromAgo + 1);
  }
}
