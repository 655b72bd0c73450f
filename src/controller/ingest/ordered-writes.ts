import type { Clock } from "../../core/clock.js";
import { RetryingDrain, type RetryPolicy } from "./retrying-drain.js";

/**
 * Store writes that must happen one at a time and in arrival order (presence changes, acks), each retried
 * until it succeeds. A write is a function so a retry repeats the whole write, then whatever follows it.
 */
export class OrderedWrites {
  private readonly queue: Array<() => Promise<void>> = [];
  private readonly drainer: RetryingDrain;

  constructor(clock: Clock, policy: RetryPolicy, onFailure: (err: unknown, retryInMs: number, pending: number) => void) {
    this.drainer = new RetryingDrain(
      { hasWork: () => this.queue.length > 0, step: () => this.runHead() },
      clock,
      policy,
      (err, retryInMs) => onFailure(err, retryInMs, this.queue.length),
    );
  }

  get pending(): number {
    return this.queue.length;
  }

  enqueue(write: () => Promise<void>): void {
    this.queue.push(write);
    if (!this.drainer.failing) this.drainer.drainInBackground();
  }

  flush(): Promise<void> {
    return this.drainer.drain();
  }

  stop(): void {
    this.drainer.stop();
  }

  private async runHead(): Promise<void> {
    const write = this.queue[0];
    if (!write) return;
    await write();
    this.queue.shift();
  }
}
