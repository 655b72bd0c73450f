import type { ActuatorGroupConfig } from "../config/agent-schema.js";
import { globMatch, type ControlledTemp } from "./controlled-sensors.js";

/**
 * The temperatures a group's local PID tracks: with `sensors`, only those (each shifted by its offsetC, as
 * phosphor-pid-control and fscd weigh zone sensors); without, all of them. The governor keeps seeing the raw
 * readings, so an offset can never delay the over-temperature override or hide a failed required sensor.
 */
export function zoneTemps(group: Pick<ActuatorGroupConfig, "sensors">, temps: readonly ControlledTemp[]): ControlledTemp[] {
  const sensors = group.sensors;
  if (!sensors) return [...temps];
  const zone: ControlledTemp[] = [];
  for (const temp of temps) {
    const sensor = sensors.find((s) => globMatch(s.match, temp.id));
    if (!sensor) continue;
    zone.push(temp.tempC === null || sensor.offsetC === 0 ? temp : { ...temp, tempC: temp.tempC + sensor.offsetC });
  }
  return zone;
}
