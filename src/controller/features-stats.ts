/** Arithmetic mean of the values added; null until one is. */
export class RunningMean {
  private sum = 0;
  private count = 0;

  add(value: number): void {
    this.sum += value;
    this.count++;
  }

  get mean(): number | null {
    return this.count === 0 ? null : this.sum / this.count;
  }
}

/** Largest value added; null until one is. */
export class RunningMax {
  private value: number | null = null;

  add(value: number): void {
    if (this.value === null || value > this.value) this.value = value;
  }

  get max(): number | null {
    return this.value;
  }
}

/**
 * Ordinary least-squares slope of y over x. x is taken relative to the first point added, so epoch-millisecond
 * abscissae do not cost the sums their precision.
 */
export class LeastSquaresSlope {
  private originX: number | undefined;
  private n = 0;
  private sumX = 0;
  private sumY = 0;
  private sumXX = 0;
  private sumXY = 0;

  add(x: number, y: number): void {
    this.originX ??= x;
    const dx = x - this.originX;
    this.n++;
    this.sumX += dx;
    this.sumY += y;
    this.sumXX += dx * dx;
    this.sumXY += dx * y;
  }

  /** dy/dx; null with fewer than two distinct x. */
  get slope(): number | null {
    const denominator = this.n * this.sumXX - this.sumX * this.sumX;
    // Relative guard: all x equal leaves only rounding noise in the denominator.
    if (this.n < 2 || denominator <= 1e-12 * Math.max(1, this.sumXX * this.n)) return null;
    return (this.n * this.sumXY - this.sumX * this.sumY) / denominator;
  }
}
