import { setTimeout as sleep } from "node:timers/promises";

/**
 * The batch limits of DynamoDB and how this store lives with them. BatchWriteItem takes at most 25 put or delete
 * requests and 16 MB; an item is at most 400 KB, so 25 items are at most 10 MB and the count is the only limit that
 * binds. BatchGetItem takes at most 100 keys. Either may hand part of a batch back (UnprocessedItems/Keys) when a
 * partition is throttled; that part is sent again after a backoff, and a batch still not done after maxAttempts is a
 * rejection the caller retries (ingest and the maintenance jobs both do).
 */
export const BATCH_WRITE_MAX_ITEMS = 25;
export const BATCH_GET_MAX_KEYS = 100;

export interface BackoffPolicy {
  /** Sends of one batch, the first included. */
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Waits between sends; tests pass one that records instead of waiting. */
  delay: (ms: number) => Promise<void>;
  /** 0 ≤ random() < 1, for full jitter; tests pass a fixed one. */
  random: () => number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = {
  maxAttempts: 8,
  baseDelayMs: 50,
  maxDelayMs: 5_000,
  delay: (ms) => sleep(ms),
  random: Math.random,
};

/** Full-jitter exponential backoff (AWS architecture blog): a delay in [0, min(max, base·2^retry)). */
export function backoffDelayMs(policy: Pick<BackoffPolicy, "baseDelayMs" | "maxDelayMs" | "random">, retry: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return Math.floor(policy.random() * cap);
}

export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Thrown (as a rejection) when part of a batch was still unprocessed after every attempt: throttling that persists. */
export class UnprocessedBatchError extends Error {
  constructor(
    readonly operation: string,
    readonly unprocessed: number,
    attempts: number,
  ) {
    super(`${operation}: ${unprocessed} item(s) still unprocessed after ${attempts} attempts (the table is throttled); retry later or raise its capacity`);
    this.name = "UnprocessedBatchError";
  }
}

/**
 * Sends `requests` in batches of at most `maxPerBatch`, re-sending what each send hands back until all is done.
 * `send` gets one batch and returns the part that was not processed.
 */
export async function sendAllWithRetry<R>(
  operation: string,
  requests: readonly R[],
  maxPerBatch: number,
  send: (batch: R[]) => Promise<R[]>,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
): Promise<void> {
  for (const batch of chunks(requests, maxPerBatch)) {
    let pending = batch;
    for (let attempt = 1; ; attempt++) {
      pending = await send(pending);
      if (pending.length === 0) break;
      if (attempt >= policy.maxAttempts) throw new UnprocessedBatchError(operation, pending.length, attempt);
      await policy.delay(backoffDelayMs(policy, attempt - 1));
    }
  }
}

/** Runs `work` over every item with at most `limit` in flight; rejects with the first failure once all settled. */
export async function forEachLimited<T>(items: readonly T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && failure === undefined) {
      const index = next++;
      try {
        await work(items[index] as T, index);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err instanceof Error ? failure.err : new Error(String(failure.err));
}
