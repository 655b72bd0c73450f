import { describe, expect, it } from "vitest";
import { backoffDelayMs, chunks, forEachLimited, sendAllWithRetry, UnprocessedBatchError, type BackoffPolicy } from "../../src/controller/store/dynamodb-batch.js";

/** A policy that records the waits instead of waiting, with jitter fixed at its top. */
function recordingPolicy(maxAttempts = 5): { policy: BackoffPolicy; waits: number[] } {
  const waits: number[] = [];
  return {
    waits,
    policy: { maxAttempts, baseDelayMs: 50, maxDelayMs: 300, random: () => 0.999, delay: (ms) => (waits.push(ms), Promise.resolve()) },
  };
}

describe("sendAllWithRetry (BatchWriteItem / BatchGetItem)", () => {
  it("sends at most 25 per batch and re-sends only what came back unprocessed, backing off", async () => {
    const { policy, waits } = recordingPolicy();
    const sends: number[][] = [];
    await sendAllWithRetry("test", Array.from({ length: 60 }, (_, i) => i), 25, (batch) => {
      sends.push(batch);
      // The first batch comes back partly unprocessed twice, as a throttled partition answers.
      if (sends.length === 1) return Promise.resolve(batch.slice(20));
      if (sends.length === 2) return Promise.resolve(batch.slice(3));
      return Promise.resolve([]);
    }, policy);
    expect(sends.map((b) => b.length)).toEqual([25, 5, 2, 25, 10]);
    expect(sends[1]).toEqual([20, 21, 22, 23, 24]);
    expect(sends[2]).toEqual([23, 24]);
    expect(waits).toEqual([49, 99]);
  });

  it("rejects naming the operation and what is left once the attempts run out", async () => {
    const { policy, waits } = recordingPolicy(3);
    const sent = sendAllWithRetry("appendFeatures BatchWriteItem", [1, 2, 3], 25, (batch) => Promise.resolve(batch.slice(-1)), policy);
    await expect(sent).rejects.toThrow(UnprocessedBatchError);
    await expect(sent).rejects.toThrow("appendFeatures BatchWriteItem: 1 item(s) still unprocessed after 3 attempts");
    expect(waits).toHaveLength(2);
  });

  it("passes a failed send on as a rejection", async () => {
    const { policy } = recordingPolicy();
    const err = Object.assign(new Error("Rate of requests exceeds the allowed throughput"), { name: "ProvisionedThroughputExceededException" });
    await expect(sendAllWithRetry("test", [1], 25, () => Promise.reject(err), policy)).rejects.toBe(err);
  });
});

describe("backoff and helpers", () => {
  it("grows the jitter window exponentially up to the cap", () => {
    const top = { baseDelayMs: 50, maxDelayMs: 300, random: () => 0.999 };
    expect([0, 1, 2, 3, 4].map((r) => backoffDelayMs(top, r))).toEqual([49, 99, 199, 299, 299]);
    expect(backoffDelayMs({ ...top, random: () => 0 }, 3)).toBe(0);
  });

  it("chunks keep order and the last chunk short", () => {
    expect(chunks([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
    expect(chunks([], 25)).toEqual([]);
  });

  it("forEachLimited keeps at most `limit` in flight and rejects with the first failure after the rest settle", async () => {
    let inFlight = 0;
    let peak = 0;
    const done: number[] = [];
    const work = async (n: number): Promise<void> => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await Promise.resolve();
      inFlight--;
      if (n === 3) throw new Error("item 3 failed");
      done.push(n);
    };
    await expect(forEachLimited([0, 1, 2, 3, 4, 5, 6, 7], 3, work)).rejects.toThrow("item 3 failed");
    expect(peak).toBe(3);
    expect(inFlight).toBe(0);
    expect(done).toEqual(expect.arrayContaining([0, 1, 2]));
  });
});
