/** Samples kept per series, whatever the clock does: a guard, the time window normally bounds it far below. */
const MAX_SAMPLES = 4096;

/** A series' recent accepted values, to ask how far it moved over the last few seconds. */
export class RecentValues {
  private readonly timesMs: number[] = [];
  private readonly values: number[] = [];

  push(atMs: number, value: number): void {
    this.timesMs.push(atMs);
    this.values.push(value);
    if (this.values.length > MAX_SAMPLES) this.dropOldest();
  }

  /** Forgets samples taken before fromMs. */
  trimBefore(fromMs: number): void {
    while (this.timesMs.length > 0 && this.timesMs[0]! < fromMs) this.dropOldest();
  }

  /** Largest minus smallest value held; 0 with fewer than two samples. */
  spread(): number {
    if (this.values.length < 2) return 0;
    return Math.max(...this.values) - Math.min(...this.values);
  }

  private dropOldest(): void {
    this.timesMs.shift();
    this.values.shift();
  }
}
