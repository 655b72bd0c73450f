import type { SpeedFaultConfig } from "../../config/agent-schema.js";
import { AlarmLatch, type LatchChange, type Observation } from "./alarm-latch.js";
import type { CommandHistory } from "./command-history.js";
import { ExpectedSpeedCurve } from "./expected-speed-curve.js";

/** Readings whose median is judged: one wild tach reading cannot make (or unmake) a low period. */
const MEDIAN_OF = 3;
/** A command that moved less than this over settleS counts as steady, for learning. */
const STEADY_BAND_PCT = 2;
/** Below this command a fan may legitimately stop, so a stopped one is not a stall. */
export const STALL_CHECK_MIN_PCT = 20;

export interface SpeedVerdict {
  observation: Observation;
  change: LatchChange;
  /** The median judged, and what the command (the lowest of the settle window) should give; for logs. */
  medianValue?: number;
  expectedValue?: number;
  refPct?: number;
}

/**
 * One measured speed (a fan tachometer, a pump tachometer, a flow meter) checked against the group's command.
 * Low = the median of the last readings is below lowFraction × the learned value for the lowest command of the
 * settle window, or (RPM only) below stallRpm while commanded to STALL_CHECK_MIN_PCT or more. The expected value per
 * command is learned while the command is steady and the reading is not low, so it follows the particular fan.
 */
export class SpeedWatch {
  readonly latch: AlarmLatch;
  private readonly curve = new ExpectedSpeedCurve();
  private readonly recent: number[] = [];
  private readonly settleMs: number;

  constructor(
    readonly id: string,
    private readonly cfg: Pick<SpeedFaultConfig, "lowFraction" | "stallRpm" | "settleS" | "raiseAfterPeriods" | "clearAfterPeriods">,
    private readonly isRpm: boolean,
  ) {
    this.latch = new AlarmLatch(cfg.raiseAfterPeriods, cfg.clearAfterPeriods);
    this.settleMs = cfg.settleS * 1000;
  }

  /** value: the reading when plausible, null when not (missing, stale, out of range): no evidence either way. */
  judge(nowMs: number, value: number | null, commands: CommandHistory): SpeedVerdict {
    if (value === null) return { observation: "unknown", change: this.latch.observe("unknown", nowMs) };
    this.recent.push(value);
    if (this.recent.length > MEDIAN_OF) this.recent.shift();
    const refPct = commands.lowestPct(nowMs, this.settleMs);
    if (refPct === undefined) return { observation: "unknown", change: undefined };
    const medianValue = median(this.recent);
    const expectedValue = this.curve.expectedAt(refPct);
    const stalled = this.isRpm && refPct >= STALL_CHECK_MIN_PCT && medianValue < this.cfg.stallRpm;
    const belowCurve = expectedValue !== undefined && medianValue < this.cfg.lowFraction * expectedValue;
    const low = stalled || belowCurve;
    if (!low && !this.latch.active) {
      const steadyPct = commands.steadyPct(nowMs, this.settleMs, STEADY_BAND_PCT);
      if (steadyPct !== undefined) this.curve.learn(steadyPct, medianValue);
    }
    const observation: Observation = low ? "present" : "absent";
    return {
      observation,
      change: this.latch.observe(observation, nowMs),
      medianValue,
      refPct,
      ...(expectedValue !== undefined ? { expectedValue } : {}),
    };
  }
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
