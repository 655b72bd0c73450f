/**
 * The L0 firmware's fan logic as BMCs do it (Dell iDRAC, OpenBMC phosphor-pid-control "stepwise"):
 * a temperature → fan % table, stepping up at once and down only after the temperature has fallen
 * hysteresisC below the step, so the fans do not hunt around a threshold.
 */
export class StepwiseFanCurve {
  private readonly steps: readonly (readonly [number, number])[];
  private level: number | undefined;

  constructor(
    curve: readonly (readonly [number, number])[],
    private readonly hysteresisC = 3,
  ) {
    if (curve.length === 0) throw new Error("firmware fan curve has no steps");
    this.steps = [...curve].sort((a, b) => a[0] - b[0]);
  }

  /** Feeds the controlling temperature (hottest CPU die) and returns the fan % the firmware commands. */
  update(tempC: number): number {
    const up = this.levelAt(tempC);
    const down = this.levelAt(tempC + this.hysteresisC);
    if (this.level === undefined || up > this.level) this.level = up;
    else if (down < this.level) this.level = down;
    return this.pctAt(this.level);
  }

  /** The last commanded fan %, without feeding a new temperature. */
  currentPct(): number | undefined {
    return this.level === undefined ? undefined : this.pctAt(this.level);
  }

  /** Index of the highest step at or below tempC; below the first step the first step's speed is the floor. */
  private levelAt(tempC: number): number {
    let level = 0;
    for (let i = 0; i < this.steps.length; i++) {
      const step = this.steps[i];
      if (step && tempC >= step[0]) level = i;
    }
    return level;
  }

  private pctAt(level: number): number {
    return this.steps[level]?.[1] ?? 100;
  }
}
