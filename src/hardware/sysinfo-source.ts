import type { Clock, TimerHandle } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { RawReading, SensorSource } from "./binding.js";

/** What the source needs from systeminformation (injectable for tests). */
export interface SysinfoProbes {
  cpuTemperature(): Promise<{ main: number | null; max: number | null; cores: number[] }>;
  currentLoad(): Promise<{ currentLoad: number }>;
}

export interface SysinfoSourceOptions {
  clock: Clock;
  pollMs: number;
  logger?: Logger;
  probes?: SysinfoProbes;
}

export const SYSINFO_CPU_ID = "sysinfo:cpu";
const CPU_UTIL_ID = "cpu:util";

async function defaultProbes(): Promise<SysinfoProbes> {
  const si = (await import("systeminformation")).default;
  return { cpuTemperature: () => si.cpuTemperature(), currentLoad: () => si.currentLoad() };
}

/**
 * CPU temperature and load through systeminformation, for macOS (where there is no /proc or hwmon). It forks
 * helpers and can block for hundreds of milliseconds, so it runs in a slow loop of its own and the control period
 * reads its cache; the plausibility checks mark the samples stale if the loop stops delivering.
 */
export class SysinfoSensorSource implements SensorSource {
  readonly name = "sysinfo";
  private cache: RawReading[] = [];
  private timer: TimerHandle | undefined;
  private running = false;
  private probes: SysinfoProbes | undefined;

  constructor(private readonly options: SysinfoSourceOptions) {
    this.probes = options.probes;
  }

  /** Runs the first round, then keeps polling every pollMs. */
  async start(): Promise<void> {
    this.running = true;
    this.probes ??= await defaultProbes();
    await this.poll();
  }

  stop(): void {
    this.running = false;
    if (this.timer) this.options.clock.clearTimeout(this.timer);
  }

  sweep(): RawReading[] {
    return this.cache;
  }

  private async poll(): Promise<void> {
    const probes = this.probes;
    if (!probes) return;
    const sampledAtMs = this.options.clock.nowMs();
    const [temperature, load] = await Promise.allSettled([probes.cpuTemperature(), probes.currentLoad()]);
    const cpuC = temperature.status === "fulfilled" ? temperature.value.main : null;
    const utilPct = load.status === "fulfilled" ? load.value.currentLoad : null;
    this.cache = [
      {
        id: SYSINFO_CPU_ID,
        kind: "temperature",
        unit: "C",
        // systeminformation reports a missing sensor as null (or, on some systems, -1).
        value: typeof cpuC === "number" && cpuC > -1 ? cpuC : null,
        sampledAtMs,
        ...(typeof cpuC === "number" && cpuC > -1 ? {} : { error: temperature.status === "rejected" ? String(temperature.reason) : "no CPU temperature sensor" }),
      },
      {
        id: CPU_UTIL_ID,
        kind: "load",
        unit: "pct",
        value: typeof utilPct === "number" && Number.isFinite(utilPct) ? utilPct : null,
        sampledAtMs,
        ...(load.status === "rejected" ? { error: String(load.reason) } : {}),
      },
    ];
    if (this.running) {
      this.timer = this.options.clock.setTimeout(() => {
        this.poll().catch((err: unknown) => this.options.logger?.warn({ err: String(err) }, "sysinfo poll failed"));
      }, this.options.pollMs);
    }
  }
}
