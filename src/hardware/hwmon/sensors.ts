import path from "node:path";
import type { ReadingKind, ReadingUnit, SensorManifestEntry } from "../../protocol/index.js";
import type { HwmonChannel } from "./channels.js";
import type { HwmonChip } from "./discovery.js";

/** What the birth message announces per sensor. */
export type SensorDescriptor = Pick<SensorManifestEntry, "id" | "kind" | "unit">;

/** One readable hwmon value: where it is and how raw sysfs integers become protocol units. */
export interface HwmonSensor extends SensorDescriptor {
  /** Host path of the input file. */
  readonly file: string;
  readonly fromRaw: (raw: number) => number;
}

/** aquacomputer drivers report coolant flow on a fan channel, in dL/h; 600 dL/h = 1 L/min. */
const FLOW_LABEL = /^flow\b/i;
const DECILITRES_PER_HOUR_PER_LPM = 600;
const PUMP_LABEL = /^pump\b.*speed|^pump$/i;

/**
 * The sensors of a chip, ids "<chip tag>:<label or channel>": "coretemp.0:Package id 0", "nct6798:fan3".
 * A label shared by two channels of one chip would make two sensors one id, so such channels fall back to
 * their channel names ("nct6798:temp7").
 */
export function sensorsOf(chip: HwmonChip): HwmonSensor[] {
  const labelCount = new Map<string, number>();
  for (const ch of chip.channels) if (ch.label) labelCount.set(ch.label, (labelCount.get(ch.label) ?? 0) + 1);
  return chip.channels.map((ch) => {
    const channelName = `${ch.type}${ch.index}`;
    const local = ch.label && labelCount.get(ch.label) === 1 ? ch.label : channelName;
    return { id: `${chip.tag}:${local}`, file: path.join(chip.attrDir, ch.inputFile), ...conversion(ch) };
  });
}

function conversion(ch: HwmonChannel): { kind: ReadingKind; unit: ReadingUnit; fromRaw: (raw: number) => number } {
  switch (ch.type) {
    case "temp":
      return { kind: "temperature", unit: "C", fromRaw: (milliC) => milliC / 1000 };
    case "power":
      return { kind: "power", unit: "W", fromRaw: (microW) => microW / 1_000_000 };
    case "pwm":
      // 0..255 duty as percent, to one decimal: what the chip actually holds, next to what the agent asked.
      return { kind: "pwm", unit: "pct", fromRaw: (duty) => Math.round((duty * 1000) / 255) / 10 };
    case "fan":
      if (ch.label !== undefined && FLOW_LABEL.test(ch.label)) {
        return { kind: "flow", unit: "Lpm", fromRaw: (dLph) => dLph / DECILITRES_PER_HOUR_PER_LPM };
      }
      if (ch.label !== undefined && PUMP_LABEL.test(ch.label)) return { kind: "pump", unit: "rpm", fromRaw: (rpm) => rpm };
      return { kind: "fan", unit: "rpm", fromRaw: (rpm) => rpm };
  }
}
