import type { HostBirth, Telemetry } from "../protocol/index.js";
import { CPU_UTIL_READING_ID, DISK_TOTAL_READING_ID, hostPowerW, trustedReading } from "./features-readings.js";
import type { HostTemperature, HostView } from "./types.js";

/** Everything of a HostView that the birth and the latest telemetry determine; ingest adds online and state. */
export type HostReadingsView = Omit<HostView, "online" | "state">;

/**
 * A host's latest readings joined with its birth manifest. Temperatures are the controlled ones: the manifest
 * entries of kind temperature that carry targetC and criticalC (the agent announces limits only for sensors it
 * controls on). Their value is kept even when untrusted, so an operator sees what was read; consumers check quality.
 * A sensor the message does not carry is reported as missing. Without telemetry yet, every reading is missing.
 */
export function hostViewFrom(birth: HostBirth, telemetry: Telemetry | undefined): HostReadingsView {
  return {
    hostId: birth.host,
    boot: telemetry?.boot ?? birth.boot,
    lastSeenMs: telemetry?.ts,
    capabilities: birth.capabilities,
    periodMs: telemetry?.periodMs ?? birth.periodMs,
    temperatures: hostTemperatures(birth, telemetry),
    fanPct: telemetry?.outputs.fanPct,
    pumpPct: telemetry?.outputs.pumpPct,
    cpuUtilPct: telemetry ? trustedReading(telemetry, CPU_UTIL_READING_ID, "load") : null,
    diskMBps: telemetry ? trustedReading(telemetry, DISK_TOTAL_READING_ID, "disk") : null,
    powerW: telemetry ? hostPowerW(telemetry.readings) : null,
    mode: telemetry?.mode,
    alarms: telemetry?.alarms ?? [],
  };
}

function hostTemperatures(birth: Pick<HostBirth, "sensors">, telemetry: Telemetry | undefined): HostTemperature[] {
  const temperatures: HostTemperature[] = [];
  for (const sensor of birth.sensors) {
    if (sensor.kind !== "temperature" || sensor.targetC === undefined || sensor.criticalC === undefined) continue;
    const reading = telemetry?.readings.find((r) => r.id === sensor.id && r.kind === "temperature");
    const tempC = reading?.value !== null && reading?.value !== undefined && Number.isFinite(reading.value) ? reading.value : null;
    temperatures.push({
      id: sensor.id,
      role: sensor.role ?? "other",
      tempC,
      quality: reading?.quality ?? "missing",
      targetC: sensor.targetC,
      criticalC: sensor.criticalC,
      required: sensor.required ?? false,
    });
  }
  return temperatures;
}
