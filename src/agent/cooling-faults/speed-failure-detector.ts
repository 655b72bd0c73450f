import type { SpeedFaultConfig } from "../../config/agent-schema.js";
import type { Reading } from "../../protocol/index.js";
import { globMatch } from "../controlled-sensors.js";
import type { ActiveAlarm, AlarmEvent } from "./alarm-event.js";
import type { CommandHistory } from "./command-history.js";
import { SpeedWatch } from "./speed-watch.js";

/** Which readings measure the group's speed, and the alarm their failure raises. */
export interface SpeedChannels {
  kind: "fan_failure" | "pump_failure";
  /** Whether a reading is one of the group's tachometers or flow meters (before the config's match glob). */
  measures(reading: Reading): boolean;
}

/**
 * Watches every tachometer (and flow meter) of one actuator group against the group's command history, one
 * SpeedWatch per reading id, and raises an alarm per reading that stays low. Judging needs a known command:
 * while the group is monitor-only (the BMC refused manual control) nothing is judged.
 */
export class SpeedFailureDetector {
  private readonly watches = new Map<string, SpeedWatch>();

  constructor(
    private readonly channels: SpeedChannels,
    private readonly cfg: SpeedFaultConfig,
  ) {}

  assess(nowMs: number, readings: readonly Reading[], commands: CommandHistory, commandKnown: boolean): AlarmEvent[] {
    if (!this.cfg.enabled || !commandKnown) return [];
    const events: AlarmEvent[] = [];
    for (const reading of readings) {
      if (!this.channels.measures(reading) || !globMatch(this.cfg.match, reading.id)) continue;
      const watch = this.watchFor(reading);
      const value = reading.quality === "ok" ? reading.value : null;
      const verdict = watch.judge(nowMs, value, commands);
      if (!verdict.change) continue;
      events.push({
        kind: this.channels.kind,
        source: reading.id,
        change: verdict.change,
        detail: { measured: verdict.medianValue, unit: reading.unit, expected: verdict.expectedValue, commandedPct: verdict.refPct },
      });
    }
    return events;
  }

  active(): ActiveAlarm[] {
    return [...this.watches.values()].flatMap((w) => (w.latch.sinceMs !== undefined ? [{ kind: this.channels.kind, source: w.id, sinceMs: w.latch.sinceMs }] : []));
  }

  private watchFor(reading: Reading): SpeedWatch {
    let watch = this.watches.get(reading.id);
    if (!watch) {
      watch = new SpeedWatch(reading.id, this.cfg, reading.unit === "rpm");
      this.watches.set(reading.id, watch);
    }
    return watch;
  }
}
