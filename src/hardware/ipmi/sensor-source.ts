import { performance } from "node:perf_hooks";
import type { Clock, TimerHandle } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { percentile } from "../../core/percentile.js";
import type { RawReading, SensorSource, SlowLoopStats } from "../binding.js";
import type { SensorManifestEntry } from "../../protocol/index.js";
import { IPMI_DEFAULTS } from "./config.js";
import { describeFailure } from "./ipmitool-failure.js";
import { runSafely, type IpmiCommandRunner, type IpmitoolOutcome } from "./ipmitool-runner.js";
import { parseSdrTypeOutput, type SdrUnit } from "./sdr-output.js";
import { sdrReadings } from "./sdr-readings.js";

export interface IpmiSensorSourceOptions {
  runner: IpmiCommandRunner;
  clock: Clock;
  /** Period of the slow loop (default 5 s). */
  sweepPeriodMs?: number;
  /**
   * The agent's plausibility.staleAfterS, in ms: a round that answers after the previous round's readings passed it
   * is logged (once per ten minutes at most) with the setting that would have kept them fresh.
   */
  staleAfterMs?: number;
  logger?: Logger;
}

/** How often a slow round's warning may repeat. */
const SLOW_ROUND_WARN_EVERY_MS = 600_000;

/** One round of the slow loop: both sdr listings. */
export interface IpmiSweepReport {
  /** Clock time the round started; its readings carry it as sampledAtMs. */
  startedAtMs: number;
  /** Wall time both ipmitool runs took together. */
  durationMs: number;
  ok: boolean;
  /** Why the round (or part of it) failed; readings from the failed listing keep their old samples. */
  errors: string[];
  readings: number;
  garbageLines: number;
}

const LISTINGS: readonly { command: readonly string[]; unit: SdrUnit }[] = [
  { command: ["sdr", "type", "temperature"], unit: "C" },
  { command: ["sdr", "type", "fan"], unit: "rpm" },
];

/**
 * Temperatures and fan speeds from the BMC's SDR, read by a slow loop of its own: one `ipmitool sdr type`
 * run per listing every sweepPeriodMs, off the agent's 1 Hz path. sweep() only returns the cache, so a slow
 * or hung BMC never stalls control; readings keep the time they were sampled, and the agent's plausibility
 * check marks them stale when the loop stops delivering. A sensor seen once stays in the output (null, with
 * the reason) if it later vanishes from the listing.
 */
/** Rounds remembered for slowLoopStats(): about ten minutes at the default period. */
const ROUND_HISTORY = 120;

export class IpmiSensorSource implements SensorSource {
  readonly name = "ipmi";
  private readonly roundDurationsMs: number[] = [];
  private readonly runner: IpmiCommandRunner;
  private readonly clock: Clock;
  private readonly periodMs: number;
  private readonly staleAfterMs: number | undefined;
  private lastSlowWarnAtMs = Number.NEGATIVE_INFINITY;
  private readonly logger: Logger | undefined;
  private readonly cache = new Map<string, RawReading>();
  private inFlight: Promise<IpmiSweepReport> | undefined;
  private timer: TimerHandle | undefined;
  private running = false;
  private last: IpmiSweepReport | undefined;
  private waiters: ((report: IpmiSweepReport) => void)[] = [];
  private failing = false;

  constructor(opts: IpmiSensorSourceOptions) {
    this.runner = opts.runner;
    this.clock = opts.clock;
    this.periodMs = opts.sweepPeriodMs ?? IPMI_DEFAULTS.sweepPeriodMs;
    this.staleAfterMs = opts.staleAfterMs;
    this.logger = opts.logger;
  }

  /** Starts the loop; resolves after the first round, so the agent's first sweep already has readings. */
  async start(): Promise<IpmiSweepReport> {
    this.running = true;
    return this.round();
  }

  stop(): void {
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  sweep(_nowMs: number): RawReading[] {
    return [...this.cache.values()].map((r) => ({ ...r }));
  }

  /** Every sensor seen since start, for the birth message. */
  manifest(): Pick<SensorManifestEntry, "id" | "kind" | "unit">[] {
    return [...this.cache.values()].map(({ id, kind, unit }) => ({ id, kind, unit }));
  }

  /** The last completed round: its duration is the IPMI sweep time the agent benchmark reports. */
  lastSweep(): IpmiSweepReport | undefined {
    return this.last;
  }

  /** Durations of the recent rounds (both sdr listings), for the agent's stats log and the benchmark. */
  slowLoopStats(): SlowLoopStats | undefined {
    const durations = this.roundDurationsMs;
    if (durations.length === 0) return undefined;
    return { rounds: durations.length, p50Ms: percentile(durations, 50), p99Ms: percentile(durations, 99), maxMs: Math.max(...durations) };
  }

  /** Resolves when the next round completes (tests, the benchmark). */
  nextSweep(): Promise<IpmiSweepReport> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Runs one round now (or joins the one in flight). The loop calls it; tests may too. */
  refresh(): Promise<IpmiSweepReport> {
    this.inFlight ??= this.collect().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async round(): Promise<IpmiSweepReport> {
    const report = await this.refresh();
    if (this.running) {
      // Period measured from the round's start; a round longer than the period starts the next at once.
      const delayMs = Math.max(0, report.startedAtMs + this.periodMs - this.clock.nowMs());
      this.timer = this.clock.setTimeout(() => {
        this.timer = undefined;
        void this.round();
      }, delayMs);
    }
    return report;
  }

  private async collect(): Promise<IpmiSweepReport> {
    const startedAtMs = this.clock.nowMs();
    const wallStart = performance.now();
    const errors: string[] = [];
    let readings = 0;
    let garbageLines = 0;
    const seen = new Set<string>();
    // One listing after the other, never two at once: each `sdr type` walk reserves the BMC's SDR repository,
    // a second walk's reservation cancels the first's (0xC5) and ipmitool then sleeps up to 3 s before
    // retrying — measured against the simulated BMC, which follows the spec there like an iDRAC does.
    for (const listing of LISTINGS) {
      const outcome = await runSafely(this.runner, listing.command);
      const result = this.absorb(outcome, listing.unit, startedAtMs, seen);
      if (result.error) errors.push(`${listing.command.join(" ")}: ${result.error}`);
      readings += result.readings;
      garbageLines += result.garbageLines;
    }
    const report: IpmiSweepReport = { startedAtMs, durationMs: performance.now() - wallStart, ok: errors.length === 0, errors, readings, garbageLines };
    this.noteHealth(report);
    this.noteLateness(report);
    this.last = report;
    this.roundDurationsMs.push(report.durationMs);
    if (this.roundDurationsMs.length > ROUND_HISTORY) this.roundDurationsMs.shift();
    const waiters = this.waiters;
    this.waiters = [];
    for (const resolve of waiters) resolve(report);
    return report;
  }

  private absorb(outcome: IpmitoolOutcome, unit: SdrUnit, sampledAtMs: number, seen: Set<string>): { readings: number; garbageLines: number; error?: string } {
    if (!outcome.ok) {
      // Keep the old values with their old sample times: plausibility turns them stale, not missing, so a
      // short BMC hiccup does not look like a vanished sensor.
      return { readings: 0, garbageLines: 0, error: describeFailure(outcome.failure) };
    }
    const parsed = parseSdrTypeOutput(outcome.stdout);
    const { readings, foreignLines } = sdrReadings(parsed.lines, unit, sampledAtMs);
    for (const r of readings) {
      if (!this.cache.has(r.id)) this.logger?.debug({ id: r.id }, "ipmi sensor found");
      this.cache.set(r.id, r);
      seen.add(r.id);
    }
    for (const [id, old] of this.cache) {
      if (old.unit === unit && !seen.has(id)) this.cache.set(id, { ...old, value: null, sampledAtMs, error: "no longer in the BMC's sdr listing" });
    }
    return { readings: readings.length, garbageLines: parsed.garbageLines + foreignLines };
  }

  /**
   * The previous round's readings were replaced when this round answered: they had aged from that round's start
   * to now. Past staleAfterMs the agent saw them stale in between (and a required sensor among them put the
   * outputs at failsafe), though nothing failed: the BMC is slower than the settings allow for.
   */
  private noteLateness(report: IpmiSweepReport): void {
    const previous = this.last;
    if (this.staleAfterMs === undefined || !previous?.ok || !report.ok) return;
    const ageMs = report.startedAtMs - previous.startedAtMs + report.durationMs;
    if (ageMs <= this.staleAfterMs || report.startedAtMs - this.lastSlowWarnAtMs < SLOW_ROUND_WARN_EVERY_MS) return;
    this.lastSlowWarnAtMs = report.startedAtMs;
    this.logger?.warn(
      { roundMs: Math.round(report.durationMs), readingsAgeMs: Math.round(ageMs), staleAfterS: this.staleAfterMs / 1000, sweepPeriodMs: this.periodMs },
      `ipmi: this round answered after the last one's readings had gone stale; raise plausibility.staleAfterS above ${Math.ceil(ageMs / 1000)} s (or lower ipmi.sweepPeriodMs) to keep them fresh`,
    );
  }

  private noteHealth(report: IpmiSweepReport): void {
    if (report.garbageLines > 0) this.logger?.debug({ garbageLines: report.garbageLines }, "ipmi: unparsed sdr lines ignored");
    if (!report.ok && !this.failing) this.logger?.warn({ errors: report.errors }, "ipmi sensor sweep failed; readings go stale");
    if (report.ok && this.failing) this.logger?.info({ durationMs: Math.round(report.durationMs) }, "ipmi sensor sweep recovered");
    this.failing = !report.ok;
  }
}
