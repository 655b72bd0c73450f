import { readFileSync } from "node:fs";
import path from "node:path";
import type { RawReading, SensorSource } from "../binding.js";
import type { SensorDescriptor } from "../hwmon/sensors.js";
import { parseProcStatCpu, type CpuTicks } from "./proc-stat.js";

export const CPU_UTIL_ID = "cpu:util";

/**
 * Whole-machine CPU utilisation in percent, from the change in /proc/stat between two sweeps.
 * The first sweep has nothing to compare with and reports null ("warming up") rather than the average since
 * boot, which can be days old and would mislead the controller for one period. Counters that go backwards
 * (a simulator or container restart) start a new baseline the same way, never a negative load.
 */
export class CpuLoadSource implements SensorSource {
  readonly name = "procfs:cpu";
  private readonly file: string;
  private previous: CpuTicks | undefined;

  constructor(root: string) {
    this.file = path.join(root, "proc/stat");
  }

  manifest(): SensorDescriptor[] {
    return [{ id: CPU_UTIL_ID, kind: "load", unit: "pct" }];
  }

  sweep(nowMs: number): RawReading[] {
    const reading: RawReading = { id: CPU_UTIL_ID, kind: "load", unit: "pct", value: null, sampledAtMs: nowMs };
    const { ticks, error } = this.read();
    if (!ticks) {
      reading.error = error;
      return [reading];
    }
    const previous = this.previous;
    this.previous = ticks;
    if (!previous) reading.error = "warming up: first sample";
    else if (ticks.total < previous.total || ticks.busy < previous.busy) reading.error = "counters went backwards; new baseline";
    else if (ticks.total === previous.total) {
      // Two sweeps inside one tick: nothing measured. Keep the older baseline so the next sweep spans both.
      this.previous = previous;
      reading.error = "no CPU time elapsed since the last sweep";
    } else reading.value = (100 * (ticks.busy - previous.busy)) / (ticks.total - previous.total);
    return [reading];
  }

  private read(): { ticks?: CpuTicks; error?: string } {
    let text: string;
    try {
      text = readFileSync(this.file, "latin1");
    } catch (err) {
      return { error: `cannot read ${this.file}: ${err instanceof Error ? err.message : String(err)}` };
    }
    const ticks = parseProcStatCpu(text);
    return ticks ? { ticks } : { error: `no aggregate cpu line in ${this.file}` };
  }
}
