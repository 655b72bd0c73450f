import type { Clock, TimerHandle } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import type { RawReading, SensorSource } from "../binding.js";
import type { SmcHelperClient } from "./helper-client.js";
import { SMC_INVALID_TEMP_C } from "./protocol.js";

export interface SmcSensorSourceOptions {
  clock: Clock;
  /** Temperature keys to read; default: every key the helper lists in hello. */
  tempKeys?: readonly string[];
  /** The slow loop; the helper is cheap, but the SMC is not a 1 kHz device. Default 2000. */
  pollMs?: number;
  logger?: Logger;
}

interface Sample {
  value: number | null;
  sampledAtMs: number;
  error?: string;
}

/** "F0Ac", the SMC's own name for fan n's actual speed, keeps reading ids recognisable to Mac tools. */
export const fanReadingId = (index: number) => `smc:F${index}Ac`;
export const tempReadingId = (key: string) => `smc:${key}`;

/**
 * Fan speeds and temperatures from the SMC helper, polled on a slow loop of its own and cached, so sweep() is
 * synchronous. A failed poll leaves the old samples (the agent marks them stale); a closed helper socket reads null.
 */
export class SmcSensorSource implements SensorSource {
  readonly name = "smc";
  private readonly samples = new Map<string, Sample & { kind: "fan" | "temperature" }>();
  private readonly clock: Clock;
  private readonly pollMs: number;
  private readonly logger: Logger | undefined;
  private tempKeys: readonly string[];
  private timer: TimerHandle | undefined;
  private polling: Promise<boolean> | undefined;
  private running = false;
  private lastPollFailed = false;

  constructor(
    private readonly client: SmcHelperClient,
    opts: SmcSensorSourceOptions,
  ) {
    this.clock = opts.clock;
    this.pollMs = opts.pollMs ?? 2000;
    this.logger = opts.logger;
    this.tempKeys = opts.tempKeys ?? [];
  }

  /** Learns the fans (and the keys, unless configured), reads once, then polls every pollMs. */
  async start(): Promise<void> {
    this.running = true;
    const hello = await this.client.hello();
    if (this.tempKeys.length === 0) this.tempKeys = hello.tempKeys;
    for (const fan of hello.fans) this.samples.set(fanReadingId(fan.index), { kind: "fan", value: null, sampledAtMs: this.clock.nowMs(), error: "not read yet" });
    for (const key of this.tempKeys) this.samples.set(tempReadingId(key), { kind: "temperature", value: null, sampledAtMs: this.clock.nowMs(), error: "not read yet" });
    await this.pollNow();
    this.scheduleNext();
  }

  stop(): void {
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  manifest(): { id: string; kind: "fan" | "temperature"; unit: "rpm" | "C" }[] {
    return [...this.samples.entries()].map(([id, s]) => ({ id, kind: s.kind, unit: s.kind === "fan" ? "rpm" : "C" }));
  }

  /** One poll; resolves false if it failed (the old samples stay). */
  pollNow(): Promise<boolean> {
    this.polling ??= this.poll().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  sweep(nowMs: number): RawReading[] {
    const down = !this.client.connected;
    return [...this.samples.entries()].map(([id, s]) => {
      const kind = s.kind;
      const unit = kind === "fan" ? "rpm" : "C";
      if (down) return { id, kind, unit, value: null, sampledAtMs: nowMs, error: "SMC helper not connected" };
      return { id, kind, unit, value: s.value, sampledAtMs: s.sampledAtMs, ...(s.error ? { error: s.error } : {}) };
    });
  }

  private async poll(): Promise<boolean> {
    try {
      const { fans } = await this.client.readFans();
      const fansAtMs = this.clock.nowMs();
      for (const fan of fans) this.samples.set(fanReadingId(fan.index), { kind: "fan", value: fan.actualRpm, sampledAtMs: fansAtMs });
      if (this.tempKeys.length > 0) {
        const { temps } = await this.client.readTemps(this.tempKeys);
        const tempsAtMs = this.clock.nowMs();
        for (const key of this.tempKeys) this.samples.set(tempReadingId(key), { kind: "temperature", ...temperatureSample(temps[key], tempsAtMs) });
      }
      if (this.lastPollFailed) this.logger?.info("SMC helper readable again");
      this.lastPollFailed = false;
      return true;
    } catch (err) {
      if (!this.lastPollFailed) this.logger?.warn({ err: err instanceof Error ? err.message : String(err) }, "SMC helper poll failed");
      this.lastPollFailed = true;
      return false;
    }
  }

  private scheduleNext(): void {
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.pollNow().finally(() => this.scheduleNext());
    }, this.pollMs);
  }
}

/** 129 °C is the SMC saying "no reading"; a missing key is the helper saying "no such sensor here". */
function temperatureSample(value: number | null | undefined, sampledAtMs: number): Sample {
  if (value === undefined || value === null) return { value: null, sampledAtMs, error: "no such SMC key on this machine" };
  if (value === SMC_INVALID_TEMP_C) return { value: null, sampledAtMs, error: `SMC reports ${SMC_INVALID_TEMP_C} °C (invalid reading)` };
  return { value, sampledAtMs };
}
