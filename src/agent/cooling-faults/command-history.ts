/** Entries kept whatever the window: a guard, the settle window normally bounds the list far below. */
const MAX_ENTRIES = 4096;

/** What an actuator group was commanded, and when: the reference a measured speed is judged against. */
export class CommandHistory {
  private readonly atMs: number[] = [];
  private readonly pcts: number[] = [];

  /** Records the output that went to the hardware at atMs (it holds until the next record). */
  record(atMs: number, pct: number): void {
    this.atMs.push(atMs);
    this.pcts.push(pct);
    if (this.pcts.length > MAX_ENTRIES) this.dropOldest();
  }

  /**
   * The lowest command in force at any time in [nowMs − windowMs, nowMs]: a fan still spinning up toward a higher
   * command is never judged against the higher one. undefined until the history reaches back windowMs.
   */
  lowestPct(nowMs: number, windowMs: number): number | undefined {
    const fromMs = nowMs - windowMs;
    this.trimBefore(fromMs);
    if (this.atMs.length === 0 || this.atMs[0]! > fromMs) return undefined;
    return Math.min(...this.pcts);
  }

  /** The mean command over the window when it stayed within bandPct all along, else undefined. */
  steadyPct(nowMs: number, windowMs: number, bandPct: number): number | undefined {
    const lowest = this.lowestPct(nowMs, windowMs);
    if (lowest === undefined) return undefined;
    const highest = Math.max(...this.pcts);
    if (highest - lowest > bandPct) return undefined;
    return this.pcts.reduce((sum, p) => sum + p, 0) / this.pcts.length;
  }

  /** Drops entries superseded before fromMs, keeping the one in force at fromMs. */
  private trimBefore(fromMs: number): void {
    while (this.atMs.length > 1 && this.atMs[1]! <= fromMs) this.dropOldest();
  }

  private dropOldest(): void {
    this.atMs.shift();
    this.pcts.shift();
  }
}
