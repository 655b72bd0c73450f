import type { HostBirth, SensorRole, Telemetry } from "../../protocol/index.js";

/** Sensor id → role, from a host's birth manifest. Readings carry no role; only the manifest says which is a CPU. */
export type SensorRoles = ReadonlyMap<string, SensorRole>;

export function sensorRoles(birth: HostBirth | undefined): SensorRoles {
  const roles = new Map<string, SensorRole>();
  for (const sensor of birth?.sensors ?? []) {
    if (sensor.role !== undefined) roles.set(sensor.id, sensor.role);
  }
  return roles;
}

/** Per-message values kept in columns beside the raw readings, so roll-ups are plain SQL aggregates. */
export interface TelemetrySummary {
  cpuMaxC: number | null;
  driveMaxC: number | null;
  cpuUtilPct: number | null;
  powerW: number | null;
}

/** Only trusted readings count: quality "ok" with a value, as for control on the agent. */
export function summarizeTelemetry(t: Telemetry, roles: SensorRoles): TelemetrySummary {
  let cpuMaxC: number | null = null;
  let driveMaxC: number | null = null;
  let loadSum = 0;
  let loadCount = 0;
  let powerW: number | null = null;
  for (const r of t.readings) {
    if (r.quality !== "ok" || r.value === null) continue;
    switch (r.kind) {
      case "temperature": {
        const role = roles.get(r.id);
        if (role === "cpu") cpuMaxC = cpuMaxC === null ? r.value : Math.max(cpuMaxC, r.value);
        else if (role === "drive") driveMaxC = driveMaxC === null ? r.value : Math.max(driveMaxC, r.value);
        break;
      }
      case "load":
        loadSum += r.value;
        loadCount++;
        break;
      case "power":
        // Largest, not sum: a host may report component meters (CPU package) beside the server meter that includes them.
        powerW = powerW === null ? r.value : Math.max(powerW, r.value);
        break;
      default:
        break;
    }
  }
  return { cpuMaxC, driveMaxC, cpuUtilPct: loadCount > 0 ? loadSum / loadCount : null, powerW };
}
