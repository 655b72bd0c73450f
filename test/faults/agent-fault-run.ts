import type { TickReport } from "../../src/agent/agent.js";
import type { Command, Telemetry } from "../../src/protocol/index.js";
import { AgentHarness, type AgentHarnessOptions } from "../helpers/agent-harness.js";
import { OverLimitMeter, staleCommandsApplied } from "./measures.js";

/** One control period as the agent saw it, with the true (monotonic) time it ran at. */
export interface PeriodLog {
  seq: number;
  /** The agent's wall clock during the period: the telemetry's ts, which tells boots apart (seq restarts at 0). */
  wallMs: number;
  trueMs: number;
  report: TickReport;
}

/**
 * A real agent on a simulated hwmon host and a real mosquitto, on a ManualClock, instrumented for fault runs:
 * every step feeds the over-limit meter, every control period is logged with its true time, and an optional
 * command feed plays the controller (fresh commands, plus replays and already-expired ones that must never apply).
 */
export class AgentFaultRun {
  readonly h: AgentHarness;
  readonly meter: OverLimitMeter;
  readonly periods: PeriodLog[] = [];
  readonly sent: Command[] = [];
  readonly mustNotApply = new Set<string>();
  /** Runs after every period's tick (a controller on its own clock advances and takes in the telemetry here). */
  afterPeriod: ((periodMs: number) => Promise<void>) | undefined;
  /** The command feed runs while this is true (switch it off while the broker is away). */
  feeding = true;
  private seq = 1;
  private replays = 0;
  private feedEvery = 0;
  /** Telemetry produced by earlier boots of the agent on this host. */
  private producedBefore = 0;
  private readonly periodIndex = new Map<string, number>();
  private periodCount = 0;

  constructor(options: AgentHarnessOptions) {
    this.h = new AgentHarness(options);
    this.meter = new OverLimitMeter(options.profile ?? "poweredge-r740-air");
  }

  get periodMs(): number {
    return this.h.config.periodMs;
  }

  /** The controller's clock: the agent's monotonic time line, which wall-clock jumps do not move. */
  trueMs(): number {
    return this.h.clock.monotonicMs();
  }

  async start(opts: { feedEvery?: number } = {}): Promise<void> {
    await this.h.start();
    this.logPeriods();
    if (opts.feedEvery) {
      await this.h.waitForCommandPath();
      this.feedEvery = opts.feedEvery;
    }
  }

  private logPeriods(): void {
    this.h.agent.onPeriod((report) => this.periods.push({ seq: report.seq, wallMs: this.h.clock.nowMs(), trueMs: this.trueMs(), report }));
  }

  /** A new boot of the agent on the same host (same config, same outbox); the period log goes on with it. */
  async restartAgent(): Promise<void> {
    this.producedBefore += this.h.agent.counters.ticks;
    await this.h.restartAgent();
    this.logPeriods();
  }

  /** Telemetry messages every boot of the agent produced. */
  produced(): number {
    return this.producedBefore + this.h.agent.counters.ticks;
  }

  /** Produced messages not (yet) at the subscriber, counted by (boot, seq). */
  missing(): number {
    const seen = new Set(this.h.received.telemetry.map((t) => `${t.boot}/${t.seq}`));
    return this.produced() - seen.size;
  }

  /** Runs periods (the outbox replays its backlog on the agent's clock) until nothing is missing; returns how many it took. */
  async drain(maxPeriods: number): Promise<number | undefined> {
    for (let i = 1; i <= maxPeriods; i++) {
      await this.period(1);
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (this.missing() === 0) return i;
    }
    return undefined;
  }

  /** Periods: the controller's command (if due) is delivered, the physics steps, time advances, the agent ticks. */
  async period(count = 1): Promise<void> {
    for (let i = 0; i < count; i++) {
      if (this.feeding && this.feedEvery > 0 && this.periodCount % this.feedEvery === 0) await this.feed();
      const dtS = this.periodMs / 1000;
      this.h.fleet.stepAll(dtS);
      this.meter.sample(this.h.device.snapshot(), dtS);
      this.h.clock.advance(this.periodMs);
      await this.h.agent.whenIdle();
      await this.afterPeriod?.(this.periodMs);
      this.periodCount++;
    }
  }

  /** A fresh command, issued on the true clock; every fifth also a replay of the last one and a stale one. */
  private async feed(): Promise<void> {
    const now = this.trueMs();
    const fresh = this.command(now, 3 * this.periodMs + 500, 55 + (this.seq % 10));
    await this.h.deliver(fresh);
    if (this.seq % 5 === 0) {
      await this.replay(fresh);
      // Issued 10 s ago, expired 5 s ago, with the next seq: only the expiry check can stop it.
      const stale = this.command(now - 10_000, 5_000, 90);
      this.mustNotApply.add(stale.id);
      await this.h.deliver(stale);
    }
  }

  command(issuedAt: number, ttlMs: number, fanPct: number): Command {
    const n = this.seq++;
    const cmd: Command = { v: 1, id: `fault-cmd-${n}`, host: this.h.hostId, seq: n, issuedAt, expiresAt: issuedAt + ttlMs, setpoints: { fanPct } };
    this.sent.push(cmd);
    return cmd;
  }

  /** Sends an earlier command again, byte for byte, as a broker redelivery or a replaying client would. */
  async replay(cmd: Command): Promise<void> {
    this.replays++;
    await this.h.deliver(cmd);
  }

  /** The true time of the control period a telemetry message reports. */
  trueTimeOf(t: Telemetry): number | undefined {
    if (this.periodIndex.size !== this.periods.length) {
      this.periodIndex.clear();
      for (const p of this.periods) this.periodIndex.set(`${p.seq}@${p.wallMs}`, p.trueMs);
    }
    return this.periodIndex.get(`${t.seq}@${t.ts}`);
  }

  /** The first period after fromTrueMs whose telemetry satisfies the predicate. */
  firstTelemetry(fromTrueMs: number, predicate: (t: Telemetry) => boolean): { t: Telemetry; trueMs: number } | undefined {
    let best: { t: Telemetry; trueMs: number } | undefined;
    for (const t of this.h.received.telemetry) {
      const at = this.trueTimeOf(t);
      if (at !== undefined && at > fromTrueMs && (!best || at < best.trueMs) && predicate(t)) best = { t, trueMs: at };
    }
    return best;
  }

  /** What the command feed sent, for a row's notes. */
  feedSummary(): string {
    return `${this.sent.length} commands sent, ${this.mustNotApply.size} of them stale, plus ${this.replays} replays`;
  }

  boot(): string {
    return this.h.received.telemetry[0]?.boot ?? "";
  }

  /** Waits until every period's telemetry arrived, or gives up after timeoutMs; returns how many never did. */
  async lost(timeoutMs = 5000): Promise<number> {
    await this.h.until("telemetry delivered", () => this.missing() === 0, timeoutMs).catch(() => undefined);
    return this.missing();
  }

  /** Waits for the acks of everything sent, then counts what came into force when it should not have. */
  async staleApplied(): Promise<{ count: number; why: string[] }> {
    const ids = new Set(this.sent.map((c) => c.id));
    await this.h
      .until("acks", () => [...ids].every((id) => this.h.received.acks.some((a) => a.cmdId === id)), 3000)
      .catch(() => undefined);
    return staleCommandsApplied({
      acks: this.h.received.acks,
      telemetry: this.h.received.telemetry,
      sent: this.sent,
      mustNotApply: this.mustNotApply,
      trueTimeOf: (t) => this.trueTimeOf(t),
    });
  }

  async stop(): Promise<void> {
    await this.h.stop().catch(() => undefined);
    this.h.dispose();
  }
}
