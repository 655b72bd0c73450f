import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import type { CapabilityTier } from "../../protocol/index.js";
import type { CoolingActuator } from "../binding.js";
import { tierFromOutcome } from "./capability-tier.js";
import { IPMI_DEFAULTS } from "./config.js";
import { DellFanCommand } from "./dell-fan-commands.js";
import { IpmiCommandError } from "./ipmi-command-error.js";
import type { IpmiFailure } from "./ipmitool-failure.js";
import { runSafely, type IpmiCommandRunner, type IpmitoolOutcome } from "./ipmitool-runner.js";

export interface IpmiFanActuatorOptions {
  runner: IpmiCommandRunner;
  clock: Clock;
  /** Fans behind the BMC; the Dell all-fans command drives them together. */
  fanCount: number;
  /** Re-ask a refusing firmware this often (default 10 min). */
  reprobeMs?: number;
  /** Re-send manual-on at least this often while in control (default 10 s), so a BMC lease never lapses. */
  reassertMs?: number;
  /** Called when the tier changes, for the birth message and telemetry. */
  onTierChange?: (tier: CapabilityTier, reason: string) => void;
  logger?: Logger;
}

/** First retry after an undecided probe (BMC unreachable); doubles up to reprobeMs. */
const FIRST_RETRY_MS = 5_000;
/** Longest pause between write attempts while an in-control BMC does not answer. */
const MAX_WRITE_BACKOFF_MS = 60_000;

/**
 * Dell PowerEdge fans through the BMC's OEM commands, with capability tiers decided by probing:
 * "full" when manual-on is accepted, "monitor" when the firmware refuses it (iDRAC 9 ≥ 3.34: 0xD4). A refusing
 * BMC never throws and never spins: writes become no-ops (the firmware keeps its automatic curve) and it is
 * asked again every reprobeMs. Writes go out only when the rounded % changes or manual mode is due for
 * re-assertion, so a 1 Hz agent does not run ipmitool every period.
 */
export class IpmiFanActuator implements CoolingActuator {
  readonly name = "ipmi:dell-fans";
  readonly channels: number;
  private readonly runner: IpmiCommandRunner;
  private readonly clock: Clock;
  private readonly reprobeMs: number;
  private readonly reassertMs: number;
  private readonly logger: Logger | undefined;
  private readonly onTierChange: ((tier: CapabilityTier, reason: string) => void) | undefined;
  private tierNow: CapabilityTier = "monitor";
  private reasonNow = "not probed yet";
  private decided = false;
  private nextProbeAtMs = 0;
  private retryMs = FIRST_RETRY_MS;
  /** Manual-on was sent (accepted or unanswered) and automatic not yet confirmed: restore() must act. */
  private mayHoldManual = false;
  private lastManualAtMs: number | undefined;
  private lastWrittenPct: number | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private writes = 0;
  /** While an in-control BMC is not answering: no ipmitool run before this, and the failure to report. */
  private silentUntilMs = 0;
  private silentFailure: IpmiFailure | undefined;
  private writeBackoffMs = FIRST_RETRY_MS;

  constructor(opts: IpmiFanActuatorOptions) {
    this.runner = opts.runner;
    this.clock = opts.clock;
    this.channels = opts.fanCount;
    this.reprobeMs = opts.reprobeMs ?? IPMI_DEFAULTS.reprobeMs;
    this.reassertMs = opts.reassertMs ?? IPMI_DEFAULTS.reassertMs;
    this.onTierChange = opts.onTierChange;
    this.logger = opts.logger;
  }

  /** "full" while the agent drives the fans, "monitor" while the firmware does. */
  get tier(): CapabilityTier {
    return this.tierNow;
  }

  get tierReason(): string {
    return this.reasonNow;
  }

  /** ipmitool runs issued so far (manual-on, speed, automatic). */
  get commandCount(): number {
    return this.writes;
  }

  /** Sends manual-on and decides the tier from the completion code. Never throws. */
  probe(): Promise<CapabilityTier> {
    return this.serial(() => this.probeNow());
  }

  /** Probes; on "full" the BMC is in manual mode. A refusing or unreachable BMC leaves the agent monitoring. */
  async takeControl(): Promise<void> {
    await this.probe();
  }

  setPct(pct: number): Promise<void> {
    return this.serial(async () => {
      if (this.tierNow !== "full") {
        if (this.clock.nowMs() < this.nextProbeAtMs) return;
        if ((await this.probeNow()) !== "full") return;
      }
      const target = Math.min(100, Math.max(0, Math.round(pct)));
      const nowMs = this.clock.nowMs();
      // Fail fast while the BMC is not answering, so a dead BMC costs the agent's period one timeout per
      // backoff step rather than one per period.
      if (this.silentFailure && nowMs < this.silentUntilMs) {
        throw new IpmiCommandError(this.silentFailure, `fan write skipped until the BMC answers (next attempt in ${Math.ceil((this.silentUntilMs - nowMs) / 1000)} s)`);
      }
      const reassert = this.lastManualAtMs === undefined || nowMs - this.lastManualAtMs >= this.reassertMs;
      if (reassert) {
        this.mayHoldManual = true;
        const manual = await this.send(DellFanCommand.manualOn);
        if (!this.judge(manual, "manual-on")) return;
        this.lastManualAtMs = nowMs;
      }
      if (!reassert && target === this.lastWrittenPct) return;
      const speed = await this.send(DellFanCommand.allFansPct(target));
      this.lastWrittenPct = speed.ok ? target : undefined;
      this.judge(speed, `all fans to ${target} %`);
    });
  }

  /** Hands the fans back to the firmware's automatic mode (raw 0x30 0x30 0x01 0x01). Safe to call again. */
  restore(): Promise<void> {
    return this.serial(async () => {
      if (!this.mayHoldManual) return;
      const outcome = await this.send(DellFanCommand.automatic);
      this.lastManualAtMs = undefined;
      this.lastWrittenPct = undefined;
      if (outcome.ok) {
        this.mayHoldManual = false;
        return;
      }
      // A refusal here means the firmware does not do manual mode at all: it is automatic already.
      if (tierFromOutcome(outcome).decided) {
        this.mayHoldManual = false;
        return;
      }
      throw new IpmiCommandError(outcome.failure, "handing fans back to the BMC's automatic mode");
    });
  }

  private async probeNow(): Promise<CapabilityTier> {
    this.mayHoldManual = true;
    const outcome = await this.send(DellFanCommand.manualOn);
    const verdict = tierFromOutcome(outcome);
    const nowMs = this.clock.nowMs();
    if (verdict.decided) {
      this.decided = true;
      this.retryMs = FIRST_RETRY_MS;
      this.nextProbeAtMs = nowMs + this.reprobeMs;
      if (verdict.tier === "full") this.lastManualAtMs = nowMs;
      else this.mayHoldManual = false;
      this.setTier(verdict.tier, verdict.reason);
    } else {
      // No verdict: the firmware keeps control meanwhile; ask again soon, then less and less often.
      this.nextProbeAtMs = nowMs + this.retryMs;
      this.retryMs = Math.min(this.reprobeMs, this.retryMs * 2);
      this.setTier("monitor", `no answer to manual-on (${verdict.reason}); retrying`);
    }
    return this.tierNow;
  }

  /** True when the command went through; a refusal drops to monitor; no verdict throws (the agent logs it). */
  private judge(outcome: IpmitoolOutcome, what: string): boolean {
    if (outcome.ok) {
      this.silentFailure = undefined;
      this.writeBackoffMs = FIRST_RETRY_MS;
      return true;
    }
    const verdict = tierFromOutcome(outcome);
    if (verdict.decided) {
      // A refused manual-on leaves the firmware in automatic; a refused speed after an accepted manual-on does not.
      if (what === "manual-on") this.mayHoldManual = false;
      this.lastManualAtMs = undefined;
      this.nextProbeAtMs = this.clock.nowMs() + this.reprobeMs;
      this.setTier("monitor", `${what} ${verdict.reason}`);
      return false;
    }
    // Re-assert manual mode with the next write: the BMC may have reset or lapsed to automatic meanwhile.
    this.lastManualAtMs = undefined;
    this.silentFailure = outcome.failure;
    this.silentUntilMs = this.clock.nowMs() + this.writeBackoffMs;
    this.writeBackoffMs = Math.min(MAX_WRITE_BACKOFF_MS, this.writeBackoffMs * 2);
    throw new IpmiCommandError(outcome.failure, what);
  }

  private setTier(tier: CapabilityTier, reason: string): void {
    const changed = tier !== this.tierNow || reason !== this.reasonNow;
    const tierChanged = tier !== this.tierNow;
    this.tierNow = tier;
    this.reasonNow = reason;
    if (!changed) return;
    if (tier === "full") this.logger?.info({ tier, reason }, "ipmi fans: agent has manual control");
    else this.logger?.warn({ tier, reason, decided: this.decided }, "ipmi fans: firmware keeps control; monitoring only");
    if (tierChanged) this.onTierChange?.(tier, reason);
  }

  private send(command: readonly string[]): Promise<IpmitoolOutcome> {
    this.writes++;
    return runSafely(this.runner, command);
  }

  /** One ipmitool run at a time: the BMC's view of the mode must follow the order of the calls. */
  private serial<T>(step: () => Promise<T>): Promise<T> {
    const next = this.queue.then(step, step);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
