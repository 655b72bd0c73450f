import type { Logger } from "../core/logger.js";
import type { Alarm } from "../protocol/index.js";

/**
 * Which actuator groups could not be written this period (a silent BMC, an unplugged serial port), since when,
 * and how often. A failed write is not a failed period: the agent still reports its readings and what it knows,
 * and raises an `actuator_unreachable` alarm per group until a write succeeds again.
 */
export class ActuatorWriteWatch {
  private readonly failingSinceMs = new Map<string, number>();
  private failedWrites = 0;

  constructor(private readonly logger: Logger) {}

  get failures(): number {
    return this.failedWrites;
  }

  /** Records a write's outcome; the first failure of a streak and the recovery are logged. */
  record(group: string, nowMs: number, err?: Error): void {
    if (err === undefined) {
      const sinceMs = this.failingSinceMs.get(group);
      if (sinceMs === undefined) return;
      this.failingSinceMs.delete(group);
      this.logger.warn({ actuator: group, failedForMs: nowMs - sinceMs }, "actuator writable again");
      return;
    }
    this.failedWrites++;
    if (this.failingSinceMs.has(group)) return;
    this.failingSinceMs.set(group, nowMs);
    this.logger.error(
      { actuator: group, err: err.message },
      "cannot write actuator output; reporting it unreachable until a write succeeds (the hardware keeps its last setting or its own automatic mode)",
    );
  }

  failing(group: string): boolean {
    return this.failingSinceMs.has(group);
  }

  alarms(): Alarm[] {
    return [...this.failingSinceMs].map(([group, sinceMs]) => ({ kind: "actuator_unreachable" as const, source: group, sinceMs }));
  }
}
