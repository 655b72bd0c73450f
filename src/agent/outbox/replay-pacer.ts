import type { Clock } from "../../core/clock.js";

/**
 * A token bucket on clock time: backlog replays at perS messages per second, after a burst of at most perS (one
 * second's worth). The burst lets a short backlog go at once on reconnect; a long one still goes at perS.
 */
export class ReplayPacer {
  private readonly capacity: number;
  private tokens: number;
  private refilledAtMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly perS: number,
  ) {
    this.capacity = Math.max(1, perS);
    this.tokens = this.capacity;
    this.refilledAtMs = clock.nowMs();
  }

  /** How long until the next replay may go: 0 when it may go now. */
  waitMs(): number {
    this.refill();
    return this.tokens >= 1 ? 0 : Math.max(1, Math.ceil(((1 - this.tokens) * 1000) / this.perS));
  }

  /** Records one replay sent now. */
  spend(): void {
    this.refill();
    this.tokens -= 1;
  }

  private refill(): void {
    const nowMs = this.clock.nowMs();
    if (nowMs > this.refilledAtMs) this.tokens = Math.min(this.capacity, this.tokens + ((nowMs - this.refilledAtMs) * this.perS) / 1000);
    this.refilledAtMs = nowMs;
  }
}
