import type { Clock } from "../core/clock.js";
import type { CoolingActuator } from "../hardware/binding.js";

/** What one control period knows about its group's writes. */
export interface WriteStatus {
  /** The last output the hardware accepted; undefined before the first. */
  writtenPct: number | undefined;
  /** Why the group counts as unreachable this period: the last write failed, or one has hung too long. */
  error: Error | undefined;
}

/**
 * Writes one actuator group without ever holding the control period longer than its budget. A slow bus (an
 * ipmitool call waiting out its time-out, a Modbus request being retried) finishes in the background; while it
 * runs, newer outputs replace each other and only the latest is written next. Fast buses (sysfs) finish inside
 * the budget, so their period sees its own write.
 */
export class ActuatorWriter {
  private inFlight: Promise<void> | undefined;
  private inFlightSinceMs = 0;
  private queuedPct: number | undefined;
  private lastError: Error | undefined;
  private writtenPct: number | undefined;

  constructor(
    private readonly actuator: CoolingActuator,
    private readonly clock: Clock,
    /** A write still running after this long counts as a failure (the group is unreachable) until it settles. */
    private readonly stallMs: number,
  ) {}

  /** Asks for pct; waits at most budgetMs for the write(s) to settle, then reports. Never rejects. */
  async write(pct: number, budgetMs: number): Promise<WriteStatus> {
    if (this.inFlight) this.queuedPct = pct;
    else this.start(pct);
    const inFlight = this.inFlight;
    if (inFlight) await this.within(inFlight, budgetMs);
    const hung = this.inFlight !== undefined && this.clock.nowMs() - this.inFlightSinceMs >= this.stallMs;
    return {
      writtenPct: this.writtenPct,
      error: this.lastError ?? (hung ? new Error(`write pending for ${this.clock.nowMs() - this.inFlightSinceMs} ms`) : undefined),
    };
  }

  /** Drops any queued output and waits for the write in flight (each bus bounds its own calls by a time-out). */
  async settled(): Promise<void> {
    this.queuedPct = undefined;
    while (this.inFlight) await this.inFlight;
  }

  private start(pct: number): void {
    this.inFlightSinceMs = this.clock.nowMs();
    this.inFlight = this.actuator.setPct(pct).then(
      () => {
        this.writtenPct = pct;
        this.lastError = undefined;
      },
      (err: unknown) => {
        this.lastError = err instanceof Error ? err : new Error(String(err));
      },
    );
    void this.inFlight.finally(() => {
      this.inFlight = undefined;
      const next = this.queuedPct;
      this.queuedPct = undefined;
      if (next !== undefined) this.start(next);
    });
  }

  private within(work: Promise<void>, budgetMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = this.clock.setTimeout(resolve, budgetMs);
      void work.then(() => {
        this.clock.clearTimeout(timer);
        resolve();
      });
    });
  }
}
