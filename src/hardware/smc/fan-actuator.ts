import type { Clock, TimerHandle } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import type { CoolingActuator } from "../binding.js";
import type { SmcHelperClient } from "./helper-client.js";
import { isSmcHelperError } from "./helper-error.js";

export interface SmcFanActuatorOptions {
  clock: Clock;
  /** Fans the helper drives (from hello). */
  channels: number;
  /** The helper restores automatic fans when the agent is quiet this long. Default 15 000. */
  leaseMs?: number;
  /** setFans is repeated at least this often while control is held. Default leaseMs / 3. */
  renewMs?: number;
  logger?: Logger;
}

/**
 * Mac fans through the SMC helper, all driven together: the helper maps % to RPM between each fan's min and max.
 * Control is a lease the helper holds for us; if the agent dies, the helper gives the fans back to the SMC.
 */
export class SmcFanActuator implements CoolingActuator {
  readonly name = "smc:fans";
  readonly channels: number;
  private readonly clock: Clock;
  private readonly leaseMs: number;
  private readonly renewMs: number;
  private readonly logger: Logger | undefined;
  private holding = false;
  private lastPct: number | undefined;
  private lastWriteMs = 0;
  private renewTimer: TimerHandle | undefined;

  constructor(
    private readonly client: SmcHelperClient,
    opts: SmcFanActuatorOptions,
  ) {
    this.channels = opts.channels;
    this.clock = opts.clock;
    this.leaseMs = opts.leaseMs ?? 15_000;
    this.renewMs = opts.renewMs ?? Math.floor(this.leaseMs / 3);
    this.logger = opts.logger;
  }

  async takeControl(): Promise<void> {
    await this.client.takeControl(this.leaseMs);
    this.holding = true;
    this.lastWriteMs = this.clock.nowMs();
    this.armRenewal();
  }

  async setPct(pct: number): Promise<void> {
    const clamped = Math.min(100, Math.max(0, Number.isFinite(pct) ? pct : 100));
    this.lastPct = clamped;
    try {
      await this.client.setFans(clamped);
    } catch (err) {
      // The helper restarted, or our socket dropped and it restored automatic fans: take the lease again once.
      if (!this.holding || !isSmcHelperError(err, "no_lease")) throw err;
      this.logger?.warn("SMC helper no longer holds our lease; taking control again");
      await this.client.takeControl(this.leaseMs);
      await this.client.setFans(clamped);
    }
    this.lastWriteMs = this.clock.nowMs();
  }

  async restore(): Promise<void> {
    this.disarmRenewal();
    if (!this.holding) return;
    this.holding = false;
    try {
      await this.client.release();
    } catch (err) {
      // Without a connection the helper has already given the fans back: it does so when our socket closes.
      if (!isSmcHelperError(err, "disconnected")) throw err;
    }
  }

  private armRenewal(): void {
    this.disarmRenewal();
    this.renewTimer = this.clock.setTimeout(() => {
      this.renewTimer = undefined;
      void this.renew().finally(() => {
        if (this.holding) this.armRenewal();
      });
    }, this.renewMs);
  }

  private disarmRenewal(): void {
    if (this.renewTimer) this.clock.clearTimeout(this.renewTimer);
    this.renewTimer = undefined;
  }

  private async renew(): Promise<void> {
    if (!this.holding || this.clock.nowMs() - this.lastWriteMs < this.renewMs) return;
    try {
      if (this.lastPct === undefined) {
        await this.client.takeControl(this.leaseMs);
        this.lastWriteMs = this.clock.nowMs();
      } else await this.setPct(this.lastPct);
    } catch (err) {
      this.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, "SMC lease renewal failed");
    }
  }
}
