import type { PlausibilityConfig } from "../config/agent-schema.js";
import type { RawReading } from "../hardware/binding.js";
import type { Reading, ReadingQuality, SensorRole } from "../protocol/index.js";
import { isPlausibleValue } from "./plausibility-range.js";
import { chipOf, defaultSensorRole, type SensorRoleOf } from "./plausibility-roles.js";
import { RecentValues } from "./plausibility-window.js";

/** A jump must hold for this many consecutive reads before it is believed (the third read is accepted). */
export const STEP_CONFIRM_READS = 3;
/** A peer that moved this much while a sensor sat still is evidence the still one is frozen. */
export const PEER_MOVE_C = 3;
/** Likewise a CPU load swing of this many points, for CPU sensors. */
export const LOAD_MOVE_PCT = 25;
/** The id CpuLoadSource reports; its movement is evidence for the stuck rule. */
export const CPU_LOAD_ID = "cpu:util";

interface TemperatureState {
  readonly chip: string;
  readonly role: SensorRole | undefined;
  /** Last value believed, and when it was sampled: the reference for the rate rule. */
  acceptedC?: number;
  acceptedAtMs?: number;
  /** When the accepted value last changed: the start of a possible freeze. */
  changedAtMs: number;
  /** A jump not yet believed: how many consecutive reads have held it, and the last of them. */
  step?: { reads: number; lastC: number; lastAtMs: number };
  /** Latched until the value changes, so a frozen sensor does not flap back to ok when its peers settle. */
  stuck: boolean;
  readonly recent: RecentValues;
}

/**
 * Turns raw readings into protocol Readings with a quality each. The value is kept as seen (null when
 * missing or not a finite number) so telemetry shows what the hardware said; the quality says whether the
 * governor may act on it. Checks, first failing wins:
 *   missing       value null (the source could not read it)
 *   stale         sampled more than staleAfterS before nowMs (slow sources such as IPMI)
 *   out_of_range  NaN/Infinity (value reported as null), or outside what the unit allows
 *                 (isPlausibleValue: catches −40 °C, 129 °C, 65535 rpm)
 *   rate          temperature only: moved faster than maxRateCPerS from the last accepted value — a spike, unless
 *                 the new level holds for STEP_CONFIRM_READS consecutive reads, each within maxRate of the one
 *                 before, in which case the third is accepted and becomes the reference
 *   stuck         temperature only: see isStuck
 * State is one entry per temperature id ever seen, plus the CPU load series.
 */
export class PlausibilityChecker {
  private readonly temps = new Map<string, TemperatureState>();
  private readonly load = new RecentValues();
  private readonly staleAfterMs: number;
  private readonly stuckAfterMs: number;

  constructor(
    private readonly cfg: PlausibilityConfig,
    private readonly roleOf: SensorRoleOf = defaultSensorRole,
  ) {
    this.staleAfterMs = cfg.staleAfterS * 1000;
    this.stuckAfterMs = cfg.stuckAfterS * 1000;
  }

  check(raw: readonly RawReading[], nowMs: number): Reading[] {
    const readings = raw.map((r) => this.judge(r, nowMs));
    // The stuck rule compares sensors with each other, so it runs once every value of this sweep is in.
    const windowStartMs = nowMs - this.stuckAfterMs;
    this.load.trimBefore(windowStartMs);
    for (const state of this.temps.values()) state.recent.trimBefore(windowStartMs);
    for (const reading of readings) {
      if (reading.kind !== "temperature" || reading.quality !== "ok") continue;
      const state = this.temps.get(reading.id);
      if (state && this.isStuck(state)) reading.quality = "stuck";
    }
    return readings;
  }

  private judge(r: RawReading, nowMs: number): Reading {
    const value = r.value !== null && Number.isFinite(r.value) ? r.value : null;
    return { id: r.id, kind: r.kind, unit: r.unit, value, quality: this.quality(r, nowMs) };
  }

  private quality(r: RawReading, nowMs: number): ReadingQuality {
    const state = r.kind === "temperature" ? this.stateOf(r.id) : undefined;
    const value = r.value;
    if (value === null) return this.breakStep(state, "missing");
    if (nowMs - r.sampledAtMs > this.staleAfterMs) return "stale";
    if (!Number.isFinite(value) || !isPlausibleValue(r.unit, value, this.cfg)) return this.breakStep(state, "out_of_range");
    if (r.id === CPU_LOAD_ID) this.load.push(r.sampledAtMs, value);
    return state ? this.rateQuality(state, value, r.sampledAtMs) : "ok";
  }

  /** A bad read ends a run of reads confirming a step: the run must be consecutive. */
  private breakStep(state: TemperatureState | undefined, quality: ReadingQuality): ReadingQuality {
    if (state) delete state.step;
    return quality;
  }

  private rateQuality(state: TemperatureState, valueC: number, atMs: number): ReadingQuality {
    const maxRate = this.cfg.maxRateCPerS;
    if (state.acceptedC === undefined || state.acceptedAtMs === undefined) return this.accept(state, valueC, atMs);
    if (withinRate(state.acceptedC, state.acceptedAtMs, valueC, atMs, maxRate)) return this.accept(state, valueC, atMs);

    const step = state.step;
    if (step && atMs <= step.lastAtMs) return "rate"; // the same sample delivered again confirms nothing
    state.step =
      step && withinRate(step.lastC, step.lastAtMs, valueC, atMs, maxRate)
        ? { reads: step.reads + 1, lastC: valueC, lastAtMs: atMs }
        : { reads: 1, lastC: valueC, lastAtMs: atMs };
    return state.step.reads >= STEP_CONFIRM_READS ? this.accept(state, valueC, atMs) : "rate";
  }

  private accept(state: TemperatureState, valueC: number, atMs: number): ReadingQuality {
    if (state.acceptedC !== valueC) {
      state.changedAtMs = atMs;
      state.stuck = false;
    }
    state.acceptedC = valueC;
    state.acceptedAtMs = atMs;
    delete state.step;
    state.recent.push(atMs, valueC);
    return "ok";
  }

  /**
   * A temperature is stuck when its value has not changed for stuckAfterS while there is evidence it should
   * have: another temperature of the same chip or role moved by PEER_MOVE_C or more, or — for CPU sensors —
   * the CPU load swung by LOAD_MOVE_PCT points, within the last stuckAfterS. A value that is merely steady is
   * not stuck: an idle machine's sensors sit on the same whole degree for minutes, and flagging them would send
   * a healthy host to failsafe. Only disagreement with what should move it gives a frozen sensor away.
   */
  private isStuck(state: TemperatureState): boolean {
    if (state.stuck) return true;
    if (state.acceptedAtMs === undefined || state.acceptedAtMs - state.changedAtMs < this.stuckAfterMs) return false;
    let evidence = state.role === "cpu" && this.load.spread() >= LOAD_MOVE_PCT;
    for (const peer of this.temps.values()) {
      if (evidence) break;
      if (peer === state) continue;
      const related = peer.chip === state.chip || (state.role !== undefined && peer.role === state.role);
      evidence = related && peer.recent.spread() >= PEER_MOVE_C;
    }
    state.stuck = evidence;
    return evidence;
  }

  private stateOf(id: string): TemperatureState {
    let state = this.temps.get(id);
    if (!state) {
      state = { chip: chipOf(id), role: this.roleOf(id), changedAtMs: 0, stuck: false, recent: new RecentValues() };
      this.temps.set(id, state);
    }
    return state;
  }
}

function withinRate(fromC: number, fromMs: number, toC: number, toMs: number, maxRateCPerS: number): boolean {
  const elapsedS = Math.max(0, toMs - fromMs) / 1000;
  return Math.abs(toC - fromC) <= maxRateCPerS * elapsedS;
}
