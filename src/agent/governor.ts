import type { z } from "zod";
import { describeActuatorGroup } from "../config/describe-group.js";
import type { ActuatorGroupConfig, ControlConfig } from "../config/agent-schema.js";
import type { ControlMode, SensorRole } from "../protocol/index.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import type { ControlledTemp } from "./controlled-sensors.js";

/** The part of the control config the governor reads. */
export type GovernorControlConfig = Pick<z.infer<typeof ControlConfig>, "hysteresisC" | "overrideHoldS">;

export interface GovernorInput {
  /** From a monotonic clock: slew limits and the override hold are measured with it. */
  nowMs: number;
  temps: readonly ControlledTemp[];
  /** What L2 (local PID) or L3 (a controller command) asks for; undefined or non-finite means nobody knows. */
  demandPct: number | undefined;
  source: "local" | "remote";
  /**
   * A cooling fault's minimum output (a failed fan or pump, a leak): the demand is raised to it, within maxPct.
   * Part of L1, so no remote command can go below it.
   */
  floorPct?: number | undefined;
}

export interface GovernorDecision {
  outputPct: number;
  mode: ControlMode;
  /** Why the output differs from the demand (failsafe, override, bounds, slew); absent when it does not. */
  reason?: string;
}

export interface GovernorOptions {
  /** The output assumed to be in force before the first decision; maxPct (the safe assumption) by default. */
  startPct?: number;
}

/** Ack reasons are capped at 200 characters by the protocol; governor reasons end up there. */
const REASON_MAX_CHARS = 200;
/** How many sensors a reason names before it says "and N more". */
const REASON_MAX_SENSORS = 3;

/**
 * L1, one per actuator group. Innermost wins: failsafe, then over-temperature override, then the demand
 * (local or remote) within bounds and slew limits. Nothing the demand says can exceed the bounds or skip a rule.
 */
export class SafetyGovernor {
  private readonly roles: ReadonlySet<SensorRole>;
  private readonly minPct: number;
  private readonly maxPct: number;
  private readonly failsafePct: number;
  private readonly upSlewPctPerS: number;
  private readonly downSlewPctPerS: number;
  private readonly hysteresisC: number;
  private readonly overrideHoldMs: number;

  private lastOutputPct: number;
  private lastDecideMs: number | undefined;
  private overrideActive = false;
  /** Since when every in-role sensor has been below criticalC − hysteresisC while the override is on. */
  private coolSinceMs: number | undefined;

  constructor(group: ActuatorGroupConfig, control: GovernorControlConfig, opts: GovernorOptions = {}) {
    if (group.minPct > group.maxPct) {
      throw new CoolfleetError(
        ErrorCode.ConfigInvalid,
        `actuator group (${describeActuatorGroup(group)}): minPct ${group.minPct} is above maxPct ${group.maxPct}; swap or fix them`,
      );
    }
    this.roles = new Set(group.roles);
    this.minPct = clampPct(group.minPct, 0, 100);
    this.maxPct = clampPct(group.maxPct, 0, 100);
    this.failsafePct = clampPct(group.failsafePct, 0, 100);
    this.upSlewPctPerS = group.upSlewPctPerS;
    this.downSlewPctPerS = group.downSlewPctPerS;
    this.hysteresisC = control.hysteresisC;
    this.overrideHoldMs = control.overrideHoldS * 1000;
    const startPct = opts.startPct ?? this.maxPct;
    this.lastOutputPct = clampPct(Number.isFinite(startPct) ? startPct : this.maxPct, this.minPct, this.maxPct);
  }

  /** True while the over-temperature override holds (including its hysteresis and hold time). */
  get inOverride(): boolean {
    return this.overrideActive;
  }

  decide(input: GovernorInput): GovernorDecision {
    const elapsedS = this.advanceTime(input.nowMs);
    const override = this.updateOverride(input.nowMs, input.temps);
    const demandPct = input.demandPct !== undefined && Number.isFinite(input.demandPct) ? input.demandPct : undefined;
    const blind = this.failsafeCauses(input.temps);
    if (demandPct === undefined) blind.push(`no usable ${input.source} demand (${String(input.demandPct)})`);

    const floorPct = input.floorPct !== undefined && Number.isFinite(input.floorPct) ? clampPct(input.floorPct, 0, this.maxPct) : undefined;

    if (blind.length > 0 || demandPct === undefined) {
      // A blind spot never lowers cooling below what the override demands, whatever failsafePct is configured to.
      const outputPct = Math.max(override.active ? Math.max(this.failsafePct, this.maxPct) : this.failsafePct, floorPct ?? 0);
      const reason = override.active ? `${blind.join("; ")}; ${override.reason}` : blind.join("; ");
      return this.emit(outputPct, "failsafe", reason);
    }
    if (override.active) return this.emit(this.maxPct, "override", override.reason);

    const raisedPct = floorPct !== undefined && floorPct > demandPct ? floorPct : demandPct;
    const boundedPct = clampPct(raisedPct, this.minPct, this.maxPct);
    const prevPct = this.lastOutputPct;
    let outputPct =
      boundedPct >= prevPct
        ? Math.min(boundedPct, prevPct + this.upSlewPctPerS * elapsedS)
        : Math.max(boundedPct, prevPct - this.downSlewPctPerS * elapsedS);
    // Bounds beat slew: coming from a failsafe level outside [minPct, maxPct], step straight into the bounds.
    outputPct = clampPct(outputPct, this.minPct, this.maxPct);

    let reason: string | undefined;
    if (outputPct !== boundedPct) {
      reason = `${input.source} demand ${fmt(demandPct)}% slew-limited to ${fmt(outputPct)}% (from ${fmt(prevPct)}% over ${fmt(elapsedS)} s)`;
    } else if (raisedPct !== demandPct) {
      reason = `${input.source} demand ${fmt(demandPct)}% raised to the fault floor ${fmt(boundedPct)}%`;
    } else if (boundedPct !== demandPct) {
      reason = `${input.source} demand ${fmt(demandPct)}% held within bounds [${fmt(this.minPct)}, ${fmt(this.maxPct)}]%`;
    }
    return this.emit(outputPct, input.source, reason);
  }

  private emit(outputPct: number, mode: ControlMode, reason: string | undefined): GovernorDecision {
    this.lastOutputPct = outputPct;
    if (reason === undefined) return { outputPct, mode };
    return { outputPct, mode, reason: reason.length > REASON_MAX_CHARS ? `${reason.slice(0, REASON_MAX_CHARS - 1)}…` : reason };
  }

  /** Seconds since the previous decision; 0 on the first call, on a backwards clock step or a non-finite nowMs. */
  private advanceTime(nowMs: number): number {
    if (!Number.isFinite(nowMs)) return 0;
    const lastMs = this.lastDecideMs;
    this.lastDecideMs = nowMs;
    if (lastMs === undefined || nowMs <= lastMs) return 0;
    return (nowMs - lastMs) / 1000;
  }

  private updateOverride(nowMs: number, temps: readonly ControlledTemp[]): { active: boolean; reason: string } {
    const inRole = temps.filter((t) => this.roles.has(t.role));
    const critical = inRole.filter((t) => t.trusted && t.tempC !== null && t.tempC >= t.criticalC);
    if (critical.length > 0) {
      this.overrideActive = true;
      this.coolSinceMs = undefined;
      return { active: true, reason: `over temperature: ${list(critical, (t) => `${t.id} ${fmt(t.tempC)} °C ≥ critical ${fmt(t.criticalC)} °C`)}` };
    }
    if (!this.overrideActive) return { active: false, reason: "" };

    // Leaving needs evidence: an untrusted in-role sensor has not shown that it cooled down.
    const notCool = inRole.filter((t) => !t.trusted || t.tempC === null || t.tempC >= t.criticalC - this.hysteresisC);
    if (notCool.length > 0) {
      this.coolSinceMs = undefined;
      const what = list(notCool, (t) =>
        t.trusted ? `${t.id} ${fmt(t.tempC)} °C not below ${fmt(t.criticalC - this.hysteresisC)} °C` : `${t.id} ${t.quality}`,
      );
      return { active: true, reason: `holding override: ${what}` };
    }
    if (!Number.isFinite(nowMs)) return { active: true, reason: "holding override: no valid time" };
    this.coolSinceMs ??= nowMs;
    const cooledMs = nowMs - this.coolSinceMs;
    if (cooledMs >= this.overrideHoldMs) {
      this.overrideActive = false;
      this.coolSinceMs = undefined;
      return { active: false, reason: "" };
    }
    return {
      active: true,
      reason: `holding override: below critical − ${fmt(this.hysteresisC)} °C for ${fmt(cooledMs / 1000)} s of ${fmt(this.overrideHoldMs / 1000)} s`,
    };
  }

  /**
   * Why the governor cannot trust its inputs. Any required sensor counts, whatever its role: a blind required
   * sensor means the host's state is unknown, and every group's cooling reaches it (fans carry the pump's heat).
   */
  private failsafeCauses(temps: readonly ControlledTemp[]): string[] {
    const causes: string[] = [];
    const blindRequired = temps.filter((t) => t.required && (!t.trusted || t.tempC === null));
    if (blindRequired.length > 0) {
      causes.push(`required sensor ${list(blindRequired, (t) => `${t.id} ${t.trusted ? "has no value" : t.quality}`)}`);
    }
    if (!temps.some((t) => this.roles.has(t.role) && t.trusted && t.tempC !== null)) {
      causes.push(`no trusted sensor for roles ${[...this.roles].join(", ")}`);
    }
    return causes;
  }
}

function clampPct(pct: number, lowPct: number, highPct: number): number {
  return Math.min(highPct, Math.max(lowPct, pct));
}

function fmt(n: number | null): string {
  return n === null ? "null" : String(Math.round(n * 10) / 10);
}

function list<T>(items: readonly T[], describe: (item: T) => string): string {
  const shown = items.slice(0, REASON_MAX_SENSORS).map(describe).join(", ");
  const more = items.length - REASON_MAX_SENSORS;
  return more > 0 ? `${shown} and ${more} more` : shown;
}
