/**
 * Parses `ipmitool sdr type temperature|fan` output. Each line is
 * `name | sensor number | status | entity | reading`, e.g. `Temp | 0Eh | ok | 3.1 | 45 degrees C`,
 * as printed by ipmitool's "%-16s | %02Xh | %-3s | %2d.%1d | %s". Lines that do not have that shape are
 * counted, never thrown: a firmware quirk must not take the sensor loop down.
 */
export type SdrUnit = "C" | "rpm";

export interface SdrLine {
  name: string;
  /** The sensor number from the "0Eh" column. */
  sensorNumber: number;
  /** ok, ns, nc, cr, nr, lnc, lcr, lnr, unc, ucr, unr. */
  status: string;
  /** "3.1": entity id and instance. */
  entity: string;
  readingText: string;
  /** null when ipmitool printed no number (ns, Disabled, No Reading, a discrete state). */
  value: number | null;
  unit: SdrUnit | undefined;
  /** A state sensor ("Fan Redundancy … Fully Redundant"): read fine, but has no number to report. */
  discrete: boolean;
}

export interface SdrOutput {
  lines: SdrLine[];
  /** Non-empty lines that are not sensor lines. */
  garbageLines: number;
}

const SENSOR_NUMBER = /^([0-9a-f]{2})h$/i;
const ENTITY = /^(\d{1,3})\.(\d{1,3})$/;
const ANALOG = /^(-?\d+(?:\.\d+)?)\s+(degrees C|RPM)$/i;

export function parseSdrTypeOutput(text: string): SdrOutput {
  const lines: SdrLine[] = [];
  let garbageLines = 0;
  for (const raw of text.split(/\r?\n/)) {
    if (raw.trim().length === 0) continue;
    const line = parseSdrLine(raw);
    if (line) lines.push(line);
    else garbageLines++;
  }
  return { lines, garbageLines };
}

export function parseSdrLine(raw: string): SdrLine | undefined {
  const fields = raw.split("|").map((f) => f.trim());
  if (fields.length !== 5) return undefined;
  const [name, number, status, entity, readingText] = fields as [string, string, string, string, string];
  const num = SENSOR_NUMBER.exec(number);
  const ent = ENTITY.exec(entity);
  if (!name || !num?.[1] || !ent || !/^[a-z]{2,3}$/i.test(status)) return undefined;
  const analog = ANALOG.exec(readingText);
  const noReading = status.toLowerCase() === "ns";
  // A reading too long to be a number (Infinity) is garbage, not a temperature.
  const usable = analog?.[1] !== undefined && !noReading && Number.isFinite(Number(analog[1]));
  return {
    name,
    sensorNumber: Number.parseInt(num[1], 16),
    status: status.toLowerCase(),
    discrete: !analog && !noReading,
    entity: `${Number(ent[1])}.${Number(ent[2])}`,
    readingText,
    value: usable && analog[1] !== undefined ? Number(analog[1]) : null,
    unit: analog?.[2] === undefined ? undefined : analog[2].toLowerCase() === "rpm" ? "rpm" : "C",
  };
}
