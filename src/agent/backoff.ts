/** Exponential reconnect backoff with full jitter, so a fleet does not reconnect in lock-step after a broker restart. */
export class ReconnectBackoff {
  private attempts = 0;

  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  nextDelayMs(): number {
    const ceilingMs = Math.min(this.maxMs, this.minMs * 2 ** this.attempts);
    this.attempts = Math.min(this.attempts + 1, 30);
    return Math.round(this.minMs + this.random() * Math.max(0, ceilingMs - this.minMs));
  }

  reset(): void {
    this.attempts = 0;
  }
}
