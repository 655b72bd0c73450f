import type { Clock, TimerHandle } from "../../core/clock.js";

interface Waiter<T> {
  resolve(value: T): void;
  reject(err: unknown): void;
  timer: TimerHandle;
}

/**
 * Matches replies to requests by id, each with its own timeout on the injected clock (zigbee-herdsman's waitress).
 * A reply nobody waits for (it came after the timeout) is reported as unmatched, not delivered to someone else.
 */
export class Waitress<T> {
  private readonly waiters = new Map<number, Waiter<T>>();

  constructor(
    private readonly clock: Clock,
    private readonly timeoutError: (id: number, what: string, timeoutMs: number) => Error,
  ) {}

  get pending(): number {
    return this.waiters.size;
  }

  /** Waits for the reply to request id; rejects with timeoutError after timeoutMs. */
  wait(id: number, timeoutMs: number, what: string): Promise<T> {
    if (this.waiters.has(id)) return Promise.reject(new Error(`waitress: request id ${id} is already awaited`));
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => {
        this.waiters.delete(id);
        reject(this.timeoutError(id, what, timeoutMs));
      }, timeoutMs);
      this.waiters.set(id, { resolve, reject, timer });
    });
  }

  /** Delivers a reply; false when nobody waits for id (late, duplicate or unknown). */
  resolve(id: number, value: T): boolean {
    const waiter = this.take(id);
    waiter?.resolve(value);
    return waiter !== undefined;
  }

  reject(id: number, err: unknown): boolean {
    const waiter = this.take(id);
    waiter?.reject(err);
    return waiter !== undefined;
  }

  /** Fails every pending request (the connection went away). */
  rejectAll(err: unknown): void {
    for (const id of [...this.waiters.keys()]) this.reject(id, err);
  }

  private take(id: number): Waiter<T> | undefined {
    const waiter = this.waiters.get(id);
    if (!waiter) return undefined;
    this.waiters.delete(id);
    this.clock.clearTimeout(waiter.timer);
    return waiter;
  }
}
