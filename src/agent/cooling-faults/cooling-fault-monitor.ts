import type { CoolingFaultsConfig } from "../../config/agent-schema.js";
import type { Logger } from "../../core/logger.js";
import type { Alarm, CapabilityTier, Reading } from "../../protocol/index.js";
import { worstMarginC, type ControlledTemp } from "../controlled-sensors.js";
import type { AlarmEvent } from "./alarm-event.js";
import { CannotCoolDetector } from "./cannot-cool-detector.js";
import { CommandHistory } from "./command-history.js";
import { fanFailureDetector } from "./fan-failure-detector.js";
import { LastResortAction } from "./last-resort.js";
import { LeakDetector, type LeakSensor } from "./leak-detector.js";
import { ProgressiveBoost } from "./progressive-boost.js";
import { pumpFailureDetector } from "./pump-failure-detector.js";
import type { SpeedFailureDetector } from "./speed-failure-detector.js";

/** Telemetry carries at most this many alarms (the protocol's limit). */
const MAX_ALARMS = 64;
/** While a leak or cannot_cool lasts, the log repeats it this often. */
const REMIND_EVERY_MS = 60_000;

export interface CoolingFaultMonitorOptions {
  config: CoolingFaultsConfig;
  /** control.hysteresisC */
  hysteresisC: number;
  fans: { maxPct: number };
  pump?: { maxPct: number } | undefined;
  leakSensors?: readonly LeakSensor[] | undefined;
  logger: Logger;
}

export interface FaultAssessmentInput {
  nowMs: number;
  readings: readonly Reading[];
  temps: readonly ControlledTemp[];
  tiers: { fans: CapabilityTier; pump?: CapabilityTier | undefined };
}

/** What the faults ask of this period's outputs (applied by the safety governor as floors) and what to report. */
export interface FaultResponse {
  fanFloorPct?: number;
  pumpFloorPct?: number;
  alarms: Alarm[];
}

/**
 * Detects the cooling faults (fan and pump failure, leaks, a host that cannot be cooled), answers them with floors
 * under the outputs, keeps the alarms, logs every change and runs the last-resort command when it is due.
 * Call assess() after plausibility and before the governors, recordOutputs() after the outputs went out.
 */
export class CoolingFaultMonitor {
  private readonly fanCommands = new CommandHistory();
  private readonly pumpCommands = new CommandHistory();
  private readonly fanFailures: SpeedFailureDetector;
  private readonly pumpFailures: SpeedFailureDetector;
  private readonly leaks: LeakDetector;
  private readonly cannotCool: CannotCoolDetector;
  private readonly fanBoost: ProgressiveBoost;
  private readonly lastResort: LastResortAction | undefined;
  private lastResortAlarm: Alarm | undefined;
  private lastOutputs: { fans?: number; pump?: number } = {};
  private lastReminderMs: number | undefined;

  constructor(private readonly opts: CoolingFaultMonitorOptions) {
    const cfg = opts.config;
    this.fanFailures = fanFailureDetector(cfg.fans);
    this.pumpFailures = pumpFailureDetector(cfg.pump);
    this.leaks = new LeakDetector(opts.leakSensors ?? [], cfg.leakClearAfterPeriods);
    this.cannotCool = new CannotCoolDetector({ afterS: cfg.cannotCoolAfterS, clearAfterPeriods: cfg.cannotCoolClearAfterPeriods, hysteresisC: opts.hysteresisC });
    this.fanBoost = new ProgressiveBoost(cfg.boostStepPct, opts.fans.maxPct);
    this.lastResort = cfg.lastResort ? new LastResortAction(cfg.lastResort, opts.logger) : undefined;
  }

  assess(input: FaultAssessmentInput): FaultResponse {
    const { nowMs, readings, temps, tiers } = input;
    const pumpTier = this.opts.pump ? tiers.pump : undefined;
    const events = [
      ...this.fanFailures.assess(nowMs, readings, this.fanCommands, tiers.fans !== "monitor"),
      ...(pumpTier ? this.pumpFailures.assess(nowMs, readings, this.pumpCommands, pumpTier !== "monitor") : []),
      ...this.leaks.assess(nowMs),
      ...this.cannotCool.assess(nowMs, temps, this.groupsAtLimit(tiers)),
    ];
    events.push(...this.considerLastResort(nowMs));
    for (const event of events) this.log(event);
    this.remind(nowMs);

    const fanOrPumpFailed = this.fanFailures.active().length > 0 || this.pumpFailures.active().length > 0;
    const leaking = this.leaks.active().length > 0;
    const margin = worstMarginC(temps, new Set(temps.map((t) => t.role)));
    let fanFloorPct = this.fanBoost.update(fanOrPumpFailed || leaking, margin, this.lastOutputs.fans);
    if (leaking) fanFloorPct = this.fanBoost.toMax();
    const pumpFloorPct = this.opts.pump && this.pumpFailures.active().length > 0 ? this.opts.pump.maxPct : undefined;
    return {
      ...(fanFloorPct !== undefined ? { fanFloorPct } : {}),
      ...(pumpFloorPct !== undefined ? { pumpFloorPct } : {}),
      alarms: this.alarms(),
    };
  }

  /** What went to the hardware this period: the command the next periods' readings are judged against. */
  recordOutputs(nowMs: number, outputs: { fans: number; pump?: number | undefined }): void {
    this.fanCommands.record(nowMs, outputs.fans);
    if (outputs.pump !== undefined) this.pumpCommands.record(nowMs, outputs.pump);
    this.lastOutputs = { fans: outputs.fans, ...(outputs.pump !== undefined ? { pump: outputs.pump } : {}) };
  }

  /** Every alarm in force, oldest first. */
  alarms(): Alarm[] {
    const all: Alarm[] = [
      ...this.fanFailures.active(),
      ...this.pumpFailures.active(),
      ...this.leaks.active(),
      ...this.cannotCool.activeAlarms(),
      ...(this.lastResortAlarm ? [this.lastResortAlarm] : []),
    ];
    return all.sort((a, b) => a.sinceMs - b.sinceMs).slice(0, MAX_ALARMS);
  }

  /** Resolves once a started last-resort command has exited. */
  async settled(): Promise<void> {
    await this.lastResort?.settled();
  }

  private groupsAtLimit(tiers: FaultAssessmentInput["tiers"]) {
    const groups = [{ name: "fans", outputPct: this.lastOutputs.fans, maxPct: this.opts.fans.maxPct, tier: tiers.fans }];
    if (this.opts.pump) groups.push({ name: "pump", outputPct: this.lastOutputs.pump, maxPct: this.opts.pump.maxPct, tier: tiers.pump ?? "full" });
    return groups;
  }

  /** The last resort runs once cannot_cool has held, with evidence every period, for lastResort.afterS more. */
  private considerLastResort(nowMs: number): AlarmEvent[] {
    const events: AlarmEvent[] = [];
    if (this.lastResortAlarm && !this.cannotCool.active) {
      events.push({ kind: "last_resort", source: this.lastResortAlarm.source, change: "cleared", detail: {} });
      this.lastResortAlarm = undefined;
    }
    const settings = this.opts.config.lastResort;
    if (!settings || !this.lastResort || this.lastResort.hasRun || !this.cannotCool.active) return events;
    const dueMs = (this.opts.config.cannotCoolAfterS + settings.afterS) * 1000;
    const evidenceMs = this.cannotCool.evidenceForMs(nowMs);
    if (evidenceMs < dueMs) return events;
    const source = settings.command[0] ?? "last-resort";
    this.lastResort.trigger({ cannotCoolForS: evidenceMs / 1000, alarms: this.cannotCool.activeAlarms().map((a) => a.source) });
    this.lastResortAlarm = { kind: "last_resort", source, sinceMs: nowMs };
    events.push({ kind: "last_resort", source, change: "raised", detail: { command: settings.command } });
    return events;
  }

  private log(event: AlarmEvent): void {
    const fields = { alarm: event.kind, source: event.source, ...event.detail };
    if (event.change === "cleared") this.opts.logger.warn(fields, `alarm cleared: ${event.kind} ${event.source}`);
    else if (event.kind === "last_resort" || event.kind === "cannot_cool") this.opts.logger.fatal(fields, `alarm: ${event.kind} ${event.source}`);
    else this.opts.logger.error(fields, `alarm: ${event.kind} ${event.source}`);
  }

  /** Leaks and an uncoolable host stay loud in the log while they last. */
  private remind(nowMs: number): void {
    const loud = this.alarms().filter((a) => a.kind === "leak" || a.kind === "cannot_cool");
    if (loud.length === 0) {
      this.lastReminderMs = undefined;
      return;
    }
    if (this.lastReminderMs !== undefined && nowMs - this.lastReminderMs < REMIND_EVERY_MS) return;
    if (this.lastReminderMs !== undefined) this.opts.logger.error({ alarms: loud }, "alarms still active");
    this.lastReminderMs = nowMs;
  }
}
