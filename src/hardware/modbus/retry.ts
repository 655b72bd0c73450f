import { classifyModbusError, type ModbusRequestError } from "./request-error.js";

export interface RetryPolicy {
  /** Further attempts after the first, for timeouts and CRC errors only. */
  retries: number;
  /** Pause before retry n (1-based) is backoffMs × 2^(n-1): lets a busy device or a noisy line settle. */
  backoffMs: number;
}

/** Pauses between retries; real time in production (it is wire time, like the response timeout). */
export type Pause = (delayMs: number) => Promise<void>;

export const realPause: Pause = (delayMs) => new Promise((resolve) => setTimeout(resolve, delayMs));

/** Timeouts and damaged answers are worth another try; a refusal, a vanished port or an I/O error is not. */
export function isRetryable(err: ModbusRequestError): boolean {
  return err.failure === "timeout" || err.failure === "crc";
}

export function retryDelayMs(policy: RetryPolicy, retry: number): number {
  return policy.backoffMs * 2 ** (retry - 1);
}

/**
 * Runs attempt until it succeeds, fails for a reason not worth retrying, or the retries run out; the last error is
 * thrown. onFailure sees every failed attempt (for the link's counters).
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  pause: Pause,
  onFailure: (err: ModbusRequestError, willRetry: boolean) => void,
): Promise<T> {
  for (let retry = 0; ; retry++) {
    try {
      return await attempt();
    } catch (raw) {
      const err = classifyModbusError(raw);
      const willRetry = isRetryable(err) && retry < policy.retries;
      onFailure(err, willRetry);
      if (!willRetry) throw err;
      await pause(retryDelayMs(policy, retry + 1));
    }
  }
}
