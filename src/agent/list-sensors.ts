import type { AgentConfig } from "../config/agent-schema.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { RawReading } from "../hardware/binding.js";
import { buildSensorBindings } from "./sensor-bindings.js";

/** Rates (CPU load, disk throughput) need two samples: the listing is the second sweep, this long after the first. */
const SECOND_SWEEP_AFTER_MS = 1_000;

/**
 * Every sensor the agent would read on this host, on every bus its config names (hwmon and procfs, IPMI, Modbus,
 * SMC), with its id, kind and current value: the ids `temperatures[].match` is written against. Each bus gets its
 * first round, as when the agent starts; no fan or pump is taken over. One line per sensor:
 * `id<TAB>kind<TAB>value unit[<TAB>(error)]`.
 */
export async function listSensors(config: AgentConfig, clock: Clock, logger: Logger, write: (line: string) => void): Promise<void> {
  const bindings = await buildSensorBindings(config, clock, logger);
  try {
    await bindings.start();
    for (const source of bindings.sources) source.sweep(clock.nowMs());
    await new Promise((resolve) => setTimeout(resolve, SECOND_SWEEP_AFTER_MS));
    for (const source of bindings.sources) for (const reading of source.sweep(clock.nowMs())) write(sensorLine(reading));
  } finally {
    await bindings.stop();
  }
}

function sensorLine(reading: RawReading): string {
  return `${reading.id}\t${reading.kind}\t${reading.value ?? "-"} ${reading.unit}${reading.error ? `\t(${reading.error})` : ""}`;
}
