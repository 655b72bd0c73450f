import { AlarmLatch } from "./alarm-latch.js";
import type { ActiveAlarm, AlarmEvent } from "./alarm-event.js";

/** A device with a leak register (ModbusSensorSource): set bits by name; undefined = unknown, not "dry". */
export interface LeakSensor {
  /** The device's name in the config (e.g. "cdu"); alarms name "<device>:<flag>". */
  readonly name: string;
  leak(): { raw: number; set: readonly string[] } | undefined;
}

/** A set bit the register map does not name is still a leak; it is reported under the register's role. */
const UNNAMED_FLAG = "leak_flags";

/**
 * leak: raised on the first read with a flag set (a leak is not something to confirm at leisure), cleared after
 * clearAfterPeriods reads in a row without it. An unreadable register neither raises nor clears.
 */
export class LeakDetector {
  /** Per device, per flag ever seen set. */
  private readonly latches = new Map<string, Map<string, AlarmLatch>>();

  constructor(
    private readonly sensors: readonly LeakSensor[],
    private readonly clearAfterPeriods: number,
  ) {}

  assess(nowMs: number): AlarmEvent[] {
    const events: AlarmEvent[] = [];
    for (const sensor of this.sensors) {
      const status = sensor.leak();
      const set = new Set(status === undefined ? [] : status.set.length > 0 || status.raw === 0 ? status.set : [UNNAMED_FLAG]);
      let flags = this.latches.get(sensor.name);
      if (!flags) {
        flags = new Map();
        this.latches.set(sensor.name, flags);
      }
      for (const flag of set) if (!flags.has(flag)) flags.set(flag, new AlarmLatch(1, this.clearAfterPeriods));
      for (const [flag, latch] of flags) {
        const change = latch.observe(status === undefined ? "unknown" : set.has(flag) ? "present" : "absent", nowMs);
        if (change) events.push({ kind: "leak", source: `${sensor.name}:${flag}`, change, detail: { device: sensor.name, flag, raw: status?.raw } });
      }
    }
    return events;
  }

  active(): ActiveAlarm[] {
    return [...this.latches].flatMap(([device, flags]) =>
      [...flags].flatMap(([flag, latch]) => (latch.sinceMs !== undefined ? [{ kind: "leak" as const, source: `${device}:${flag}`, sinceMs: latch.sinceMs }] : [])),
    );
  }
}
