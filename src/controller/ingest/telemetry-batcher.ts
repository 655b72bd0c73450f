import type { Clock } from "../../core/clock.js";
import type { Telemetry } from "../../protocol/index.js";
import type { AppendResult } from "../store/telemetry-store.js";
import { RetryingDrain, type RetryPolicy } from "./retrying-drain.js";

export interface BatchPolicy extends RetryPolicy {
  /** Longest a message waits in memory before a flush starts. */
  flushMs: number;
  /** Messages per store append; a full batch is flushed at once. */
  maxBatch: number;
}

/**
 * Accepted telemetry on its way to the store, in batches: every flushMs, or as soon as a batch is full.
 * A batch leaves the buffer only once the store has it, so a failed append loses nothing.
 */
export class TelemetryBatcher {
  private buffer: Telemetry[] = [];
  private readonly drainer: RetryingDrain;
  private storedCount = 0;
  private storeDuplicateCount = 0;
  private failedAppendCount = 0;

  constructor(
    private readonly append: (batch: Telemetry[]) => Promise<AppendResult>,
    clock: Clock,
    private readonly policy: BatchPolicy,
    onFailure: (err: unknown, retryInMs: number, pending: number) => void,
  ) {
    this.drainer = new RetryingDrain(
      { hasWork: () => this.buffer.length > 0, step: () => this.appendHead() },
      clock,
      policy,
      (err, retryInMs) => {
        this.failedAppendCount++;
        onFailure(err, retryInMs, this.buffer.length);
      },
    );
  }

  get pending(): number {
    return this.buffer.length;
  }

  /** Messages the store inserted, and those it already held (duplicates past the in-memory window). */
  counts(): { stored: number; storeDuplicates: number; failedAppends: number } {
    return { stored: this.storedCount, storeDuplicates: this.storeDuplicateCount, failedAppends: this.failedAppendCount };
  }

  add(t: Telemetry): void {
    this.buffer.push(t);
    // While the store fails, only the backoff timer retries: a full batch must not hammer it.
    if (this.buffer.length >= this.policy.maxBatch && !this.drainer.failing) this.drainer.drainInBackground();
    else this.drainer.schedule(this.policy.flushMs);
  }

  /** Stores everything buffered; rejects if the store fails (the messages stay buffered and are retried). */
  flush(): Promise<void> {
    return this.drainer.drain();
  }

  stop(): void {
    this.drainer.stop();
  }

  private async appendHead(): Promise<void> {
    const batch = this.buffer.slice(0, this.policy.maxBatch);
    const result = await this.append(batch);
    // Only the drain removes from the head, and add() only pushes at the tail, so the head is still `batch`.
    this.buffer.splice(0, batch.length);
    this.storedCount += result.inserted;
    this.storeDuplicateCount += result.duplicates;
  }
}
