/**
 * The fans' response to a failed fan or pump: a floor under the fans' output that starts at what they were doing
 * and rises by stepPct each period while any temperature is above its target, up to maxPct. It never falls while
 * the failure lasts (a remaining fan that had to work harder once will be needed again); it is gone when the
 * failure clears, and the governor's down slew brings the fans back.
 */
export class ProgressiveBoost {
  private floor: number | undefined;

  constructor(
    private readonly stepPct: number,
    private readonly maxPct: number,
  ) {}

  /** The floor for this period, or undefined when no boost is wanted. */
  get floorPct(): number | undefined {
    return this.floor;
  }

  /**
   * active: a failure the fans must make up for; worstMarginC: max(tempC − targetC) over trusted temperatures
   * (undefined when none is trusted: then the floor keeps rising, as it would for a hot host); currentPct: the
   * fans' output in force.
   */
  update(active: boolean, worstMarginC: number | undefined, currentPct: number | undefined): number | undefined {
    if (!active) {
      this.floor = undefined;
      return undefined;
    }
    const base = this.floor ?? Math.min(this.maxPct, currentPct ?? this.maxPct);
    const hot = worstMarginC === undefined || worstMarginC > 0;
    this.floor = hot ? Math.min(this.maxPct, base + this.stepPct) : base;
    return this.floor;
  }

  /** Jumps straight to maxPct (a leak: the liquid path may go at any moment). */
  toMax(): number {
    this.floor = this.maxPct;
    return this.floor;
  }
}
