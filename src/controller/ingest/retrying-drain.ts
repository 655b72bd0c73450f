import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type { Clock, TimerHandle } from "../../core/clock.js";

/** A queue of work the drain empties one step at a time. A step that throws must leave its work in place. */
export interface DrainableWork {
  hasWork(): boolean;
  step(): Promise<void>;
}

export interface RetryPolicy {
  /** Delay before the first retry after a failed step; doubles per consecutive failure. */
  retryMs: number;
  maxRetryMs: number;
}

/**
 * Empties a queue into a store, one drain at a time, and keeps the work when a step fails: the drain stops,
 * reports the error and schedules itself again with exponential backoff. Nothing is dropped; a store that
 * is down only makes the queue longer (the caller bounds it).
 */
export class RetryingDrain {
  private running: Promise<void> | undefined;
  private timer: TimerHandle | undefined;
  private consecutiveFailures = 0;
  private stopped = false;

  constructor(
    private readonly work: DrainableWork,
    private readonly clock: Clock,
    private readonly policy: RetryPolicy,
    private readonly onFailure: (err: unknown, retryInMs: number) => void,
  ) {}

  /** True after a failed step until a step succeeds again; while failing, only the retry timer drains. */
  get failing(): boolean {
    return this.consecutiveFailures > 0;
  }

  /** Drains after delayMs, unless a drain is already scheduled. */
  schedule(delayMs: number): void {
    if (this.stopped || this.timer) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.drainInBackground();
    }, delayMs);
  }

  /** Starts a drain now without waiting for it; a failure is reported through onFailure. */
  drainInBackground(): void {
    this.drain().catch(() => undefined);
  }

  /** Drains until the queue is empty; rejects with the error of a failed step (its work stays queued). */
  async drain(): Promise<void> {
    // Loop: work queued while an earlier drain was finishing would otherwise wait for the timer.
    while (this.work.hasWork()) {
      this.running ??= this.loop().finally(() => {
        this.running = undefined;
      });
      await this.running;
    }
  }

  /** No more timers; drain() still works, for the last flush at shutdown. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer();
  }

  private async loop(): Promise<void> {
    this.cancelTimer();
    while (this.work.hasWork()) {
      try {
        await this.work.step();
      } catch (err) {
        this.consecutiveFailures++;
        const retryInMs = Math.min(this.policy.retryMs * 2 ** (this.consecutiveFailures - 1), this.policy.maxRetryMs);
        this.cancelTimer();
        this.schedule(retryInMs);
        this.onFailure(err, retryInMs);
        throw err;
      }
      this.consecutiveFailures = 0;
      // A backlog after an outage is many steps: let MQTT and timers run between them.
      if (this.work.hasWork()) await yieldToEventLoop();
    }
  }

  private cancelTimer(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
