import type { CapabilityTier } from "../../protocol/index.js";
import type { ControlledTemp } from "../controlled-sensors.js";
import type { ActiveAlarm, AlarmEvent } from "./alarm-event.js";

/** One actuator group as cannot_cool sees it: what went to the hardware last, its ceiling, and whether it obeys. */
export interface GroupAtLimit {
  name: string;
  /** The output applied in the previous period; undefined before the first. */
  outputPct: number | undefined;
  maxPct: number;
  tier: CapabilityTier;
}

export interface CannotCoolSettings {
  afterS: number;
  clearAfterPeriods: number;
  /** control.hysteresisC: clearing needs every required temperature this far below its criticalC. */
  hysteresisC: number;
}

/**
 * cannot_cool: a trusted required temperature at or above its criticalC while every actuator group is at its maxPct
 * and obeys the agent (no group monitor-only), period after period for afterS. Any period without that evidence (a
 * blind sensor, a group below its maximum or out of the agent's hands) restarts the count, so a host the agent cannot
 * see or does not drive is never declared uncoolable. Clears after clearAfterPeriods periods in a row with every
 * required temperature trusted and below criticalC − hysteresisC.
 */
export class CannotCoolDetector {
  private evidenceSinceMs: number | undefined;
  private raised: ActiveAlarm | undefined;
  private coolRun = 0;

  constructor(private readonly cfg: CannotCoolSettings) {}

  get active(): boolean {
    return this.raised !== undefined;
  }

  /** How long the evidence has held without a break, as of the last assess; 0 without evidence. */
  evidenceForMs(nowMs: number): number {
    return this.evidenceSinceMs === undefined ? 0 : nowMs - this.evidenceSinceMs;
  }

  assess(nowMs: number, temps: readonly ControlledTemp[], groups: readonly GroupAtLimit[]): AlarmEvent[] {
    const required = temps.filter((t) => t.required);
    const hot = required.filter((t) => t.trusted && t.tempC !== null && t.tempC >= t.criticalC).sort((a, b) => b.tempC! - b.criticalC - (a.tempC! - a.criticalC));
    const allAtMax = groups.length > 0 && groups.every((g) => g.tier !== "monitor" && g.outputPct !== undefined && g.outputPct >= g.maxPct);
    const hottest = hot[0];
    if (hottest && allAtMax) this.evidenceSinceMs ??= nowMs;
    else this.evidenceSinceMs = undefined;

    const cool = required.length > 0 && required.every((t) => t.trusted && t.tempC !== null && t.tempC < t.criticalC - this.cfg.hysteresisC);
    this.coolRun = cool ? this.coolRun + 1 : 0;

    if (!this.raised && hottest && this.evidenceForMs(nowMs) >= this.cfg.afterS * 1000) {
      this.raised = { kind: "cannot_cool", source: hottest.id, sinceMs: nowMs };
      const detail = { tempC: hottest.tempC, criticalC: hottest.criticalC, forS: this.evidenceForMs(nowMs) / 1000, groups: groups.map((g) => `${g.name} ${g.outputPct ?? "?"}%`) };
      return [{ kind: "cannot_cool", source: hottest.id, change: "raised", detail }];
    }
    if (this.raised && this.coolRun >= this.cfg.clearAfterPeriods) {
      const source = this.raised.source;
      this.raised = undefined;
      return [{ kind: "cannot_cool", source, change: "cleared", detail: {} }];
    }
    return [];
  }

  activeAlarms(): ActiveAlarm[] {
    return this.raised ? [this.raised] : [];
  }
}
