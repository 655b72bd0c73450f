import { StepwiseFanCurve } from "../devices/firmware-fan-curve.js";

export type BmcFanMode = "auto" | "manual";

export interface FanModeOptions {
  fanCount: number;
  /** Manual mode lapses back to automatic when no fan command arrives for this long. */
  leaseMs: number;
  firmwareFanCurve: readonly (readonly [number, number])[];
  firmwareHysteresisC?: number;
}

/** Why the mode last changed, for tests and logs. */
export interface FanModeChange {
  mode: BmcFanMode;
  atMs: number;
  reason: "manual-on" | "auto-requested" | "lease-lapsed";
}

/**
 * Who drives the fans: the firmware's stepwise curve on the hottest CPU, or the manual percentages the OEM
 * commands set. Manual mode is a lease: every manual-on or fan-speed command renews it, and a console that
 * goes quiet for leaseMs hands the fans back to the firmware — the L0 safety net if the agent dies.
 * Time is passed in (the BMC's injected clock), so the lease is exact under a ManualClock.
 */
export class FanModeLease {
  private manual = false;
  private lastCommandMs = 0;
  private readonly manualPct: number[];
  private readonly curve: StepwiseFanCurve;
  private firmwarePct: number;
  private lastChange: FanModeChange | undefined;

  constructor(private readonly opts: FanModeOptions) {
    this.curve = new StepwiseFanCurve(opts.firmwareFanCurve, opts.firmwareHysteresisC);
    this.firmwarePct = opts.firmwareFanCurve[0]?.[1] ?? 100;
    this.manualPct = new Array<number>(opts.fanCount).fill(this.firmwarePct);
  }

  mode(nowMs: number): BmcFanMode {
    this.expire(nowMs);
    return this.manual ? "manual" : "auto";
  }

  change(): FanModeChange | undefined {
    return this.lastChange;
  }

  /** Raw 0x30 0x30 0x01 0x00. The fans hold the speed the firmware had until a speed command arrives. */
  manualOn(nowMs: number): void {
    this.expire(nowMs);
    if (!this.manual) {
      this.manualPct.fill(this.firmwarePct);
      this.manual = true;
      this.lastChange = { mode: "manual", atMs: nowMs, reason: "manual-on" };
    }
    this.lastCommandMs = nowMs;
  }

  /** Raw 0x30 0x30 0x01 0x01. */
  automatic(nowMs: number): void {
    if (this.manual) this.lastChange = { mode: "auto", atMs: nowMs, reason: "auto-requested" };
    this.manual = false;
  }

  /**
   * Raw 0x30 0x30 0x02 <fan|0xff> <pct>. In automatic mode the speed is stored for when manual mode comes
   * on but does not move the fans (iDRAC accepts it and ignores it), and it does not start a lease.
   */
  setPct(fanIndex: number | "all", pct: number, nowMs: number): void {
    this.expire(nowMs);
    if (fanIndex === "all") this.manualPct.fill(pct);
    else this.manualPct[fanIndex] = pct;
    if (this.manual) this.lastCommandMs = nowMs;
  }

  /** Feeds the firmware curve and returns each fan's command for the next physics step. */
  commandPct(hottestCpuC: number, nowMs: number): number[] {
    this.firmwarePct = this.curve.update(hottestCpuC);
    return this.mode(nowMs) === "manual" ? [...this.manualPct] : new Array<number>(this.opts.fanCount).fill(this.firmwarePct);
  }

  /** What the fans are commanded to right now, without advancing the firmware curve. */
  currentPct(nowMs: number): number[] {
    return this.mode(nowMs) === "manual" ? [...this.manualPct] : new Array<number>(this.opts.fanCount).fill(this.firmwarePct);
  }

  /** The moment manual mode will lapse, or undefined in automatic mode. */
  leaseExpiresAtMs(nowMs: number): number | undefined {
    return this.mode(nowMs) === "manual" ? this.lastCommandMs + this.opts.leaseMs : undefined;
  }

  private expire(nowMs: number): void {
    if (this.manual && nowMs - this.lastCommandMs >= this.opts.leaseMs) {
      this.manual = false;
      this.lastChange = { mode: "auto", atMs: this.lastCommandMs + this.opts.leaseMs, reason: "lease-lapsed" };
    }
  }
}
