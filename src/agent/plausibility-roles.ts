import type { TemperatureLimit } from "../config/agent-schema.js";
import type { SensorRole } from "../protocol/index.js";
import { globMatch } from "./controlled-sensors.js";

export type SensorRoleOf = (id: string) => SensorRole | undefined;

/**
 * The chip part of a sensor id: everything before the last ":" ("coretemp.0:Core 2" → "coretemp.0",
 * "drivetemp.0:0:0:0:temp1" → "drivetemp.0:0:0:0"). Chip tags may hold colons (SCSI addresses); labels do not.
 */
export function chipOf(id: string): string {
  const colon = id.lastIndexOf(":");
  return colon < 0 ? id : id.slice(0, colon);
}

const CPU_CHIPS = new Set(["coretemp", "k10temp", "zenpower"]);
const DRIVE_CHIPS = new Set(["drivetemp", "nvme"]);

/** Role from well-known hwmon chip names, for sensors no configured limit matches. */
export function defaultSensorRole(id: string): SensorRole | undefined {
  const chipName = chipOf(id).split(".")[0] ?? "";
  if (CPU_CHIPS.has(chipName)) return "cpu";
  if (DRIVE_CHIPS.has(chipName)) return "drive";
  return undefined;
}

/** Roles from the agent's temperature limits (first matching glob wins, as in the config), else by chip name. */
export function sensorRoleResolver(limits: readonly Pick<TemperatureLimit, "match" | "role">[]): SensorRoleOf {
  return (id) => limits.find((l) => globMatch(l.match, id))?.role ?? defaultSensorRole(id);
}
