import type { Reading, ReadingKind, SensorManifestEntry, Telemetry } from "../protocol/index.js";

/** The agent's procfs sources publish these fixed ids (src/hardware/procfs); the controller may not import them. */
export const CPU_UTIL_READING_ID = "cpu:util";
export const DISK_TOTAL_READING_ID = "disk:total";
/**
 * hwmon's ACPI power meter ("power_meter:power1", "power_meter.0:power1") reads the whole system at the supply, so
 * it is preferred over component readings (CPU package, one PSU rail) when a host reports several.
 */
export const POWER_METER_ID_PREFIX = "power_meter";

/** The value of a reading the agent trusts ("ok" and finite); null for anything else. */
export function trustedValue(reading: Reading | undefined): number | null {
  if (reading === undefined || reading.quality !== "ok" || reading.value === null) return null;
  return Number.isFinite(reading.value) ? reading.value : null;
}

/** The trusted value of the reading with this id and kind in one message. */
export function trustedReading(telemetry: Telemetry, id: string, kind: ReadingKind): number | null {
  return trustedValue(telemetry.readings.find((r) => r.id === id && r.kind === kind));
}

/**
 * Host power for one message, W. Readings of kind "power" are not summed: a host may report the whole system and
 * its parts (package power, one PSU) side by side, and a sum would count the parts twice. So: the largest trusted
 * power_meter reading if there is one, otherwise the largest trusted power reading (the one closest to the whole).
 */
export function hostPowerW(readings: readonly Reading[]): number | null {
  let meterW: number | null = null;
  let anyW: number | null = null;
  for (const reading of readings) {
    if (reading.kind !== "power") continue;
    const valueW = trustedValue(reading);
    if (valueW === null) continue;
    if (anyW === null || valueW > anyW) anyW = valueW;
    if (reading.id.startsWith(POWER_METER_ID_PREFIX) && (meterW === null || valueW > meterW)) meterW = valueW;
  }
  return meterW ?? anyW;
}

/** A temperature sensor the birth manifest gives a role and a target: the ones margins are computed over. */
export interface TargetedSensor {
  id: string;
  role: NonNullable<SensorManifestEntry["role"]>;
  targetC: number | undefined;
}

/** The manifest's temperature sensors with a role, by id. */
export function temperatureSensorsById(sensors: readonly SensorManifestEntry[]): Map<string, TargetedSensor> {
  const byId = new Map<string, TargetedSensor>();
  for (const s of sensors) {
    if (s.kind !== "temperature" || s.role === undefined) continue;
    byId.set(s.id, { id: s.id, role: s.role, targetC: s.targetC });
  }
  return byId;
}

/** Ids of the sensors the manifest marks required: the agent goes failsafe when one of them is bad. */
export function requiredSensorIds(sensors: readonly SensorManifestEntry[]): string[] {
  return sensors.filter((s) => s.required === true).map((s) => s.id);
}
