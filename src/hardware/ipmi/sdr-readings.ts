import type { SensorRole } from "../../protocol/index.js";
import type { RawReading } from "../binding.js";
import type { SdrLine, SdrUnit } from "./sdr-output.js";

/** Id prefix of every IPMI reading: "ipmi:Inlet Temp", "ipmi:Temp@3.1", "ipmi:Fan1 RPM". */
export const IPMI_ID_PREFIX = "ipmi:";

/** Dell names every CPU sensor just "Temp"; the entity (3.N = processor N) is what tells them apart. */
const ALWAYS_BY_ENTITY = new Set(["Temp"]);

/**
 * Stable reading ids for one sdr listing. A name gets "@entity" when Dell reuses it ("Temp") or when it occurs
 * more than once; a name that still collides gets "#<sensor number>".
 */
export function sdrReadingIds(lines: readonly SdrLine[]): string[] {
  const nameCount = new Map<string, number>();
  for (const l of lines) nameCount.set(l.name, (nameCount.get(l.name) ?? 0) + 1);
  const ids = lines.map((l) => (ALWAYS_BY_ENTITY.has(l.name) || (nameCount.get(l.name) ?? 0) > 1 ? `${IPMI_ID_PREFIX}${l.name}@${l.entity}` : `${IPMI_ID_PREFIX}${l.name}`));
  const idCount = new Map<string, number>();
  for (const id of ids) idCount.set(id, (idCount.get(id) ?? 0) + 1);
  return ids.map((id, i) => ((idCount.get(id) ?? 0) > 1 ? `${id}#${(lines[i]?.sensorNumber ?? 0).toString(16).padStart(2, "0").toUpperCase()}h` : id));
}

export interface SdrReadingsResult {
  readings: RawReading[];
  /** Lines of the wrong unit for this listing (an RPM line in `sdr type temperature`): counted, left out. */
  foreignLines: number;
  /** State sensors in the listing ("Fan Redundancy"): nothing to report as a number, left out. */
  discreteLines: number;
}

/**
 * RawReadings from one `sdr type temperature` (unit C) or `sdr type fan` (unit rpm) listing. A sensor with no
 * reading (ns: an empty socket, an absent fan) is kept as null so the agent sees it missing, not gone.
 */
export function sdrReadings(lines: readonly SdrLine[], unit: SdrUnit, sampledAtMs: number): SdrReadingsResult {
  const mine = lines.filter((l) => !l.discrete && (l.unit === unit || l.unit === undefined));
  const ids = sdrReadingIds(mine);
  const kind = unit === "C" ? "temperature" : "fan";
  const readings = mine.map((line, i): RawReading => {
    const reading: RawReading = { id: ids[i] ?? `${IPMI_ID_PREFIX}${line.name}`, kind, unit, value: line.value, sampledAtMs };
    if (line.value === null) reading.error = `ipmitool reports ${line.status} (${line.readingText})`;
    return reading;
  });
  const discreteLines = lines.filter((l) => l.discrete).length;
  return { readings, foreignLines: lines.length - mine.length - discreteLines, discreteLines };
}

/**
 * What a Dell sensor measures, from its exact name (anchored: "PSU1 Inlet Temp" is not the inlet).
 * 11G boards call the inlet "Ambient Temp"; "Planar Temp" is a board sensor, not an air temperature.
 */
export function dellSensorRole(reading: Pick<RawReading, "id" | "kind">): SensorRole | undefined {
  if (reading.kind !== "temperature" || !reading.id.startsWith(IPMI_ID_PREFIX)) return undefined;
  const name = reading.id.slice(IPMI_ID_PREFIX.length).replace(/[@#].*$/, "");
  if (name === "Temp" && /@3\.\d+/.test(reading.id)) return "cpu";
  if (name === "Inlet Temp" || name === "Ambient Temp") return "inlet";
  if (name === "Exhaust Temp") return "exhaust";
  return "other";
}
