import path from "node:path";
import { readSysfsText } from "./sysfs-io.js";

export type HwmonChannelType = "temp" | "fan" | "pwm" | "power";

/** Control files a channel offers, whichever the driver has. */
export interface HwmonChannelControl {
  /** pwm{n}_enable: 0 full speed, 1 manual, 2+ automatic modes. */
  enable?: string;
  /** applesmc: fan{n}_manual, fan{n}_output (target rpm), fan{n}_min, fan{n}_max. */
  manual?: string;
  output?: string;
  min?: string;
  max?: string;
}

export interface HwmonChannel {
  type: HwmonChannelType;
  /** n in temp{n}_input. */
  index: number;
  /** Trimmed content of {type}{n}_label, when the driver provides one. */
  label?: string;
  /** The file read for the value: temp1_input, fan1_input, pwm1, power1_average or power1_input. */
  inputFile: string;
  control?: HwmonChannelControl;
}

const INPUT_FILE = /^(temp|fan|power)(\d+)_(input|average)$|^(pwm)(\d+)$/;

/**
 * Lists the channels of one chip from its attribute file names, reading the _label files.
 * power{n}_average is preferred over power{n}_input when a chip has both: the agent samples once per period,
 * and the driver's average does not alias the way an instantaneous sample does.
 */
export function listChannels(attrDir: string, files: ReadonlySet<string>): HwmonChannel[] {
  const channels = new Map<string, HwmonChannel>();
  for (const file of files) {
    const m = INPUT_FILE.exec(file);
    if (!m) continue;
    const type = (m[1] ?? m[4]) as HwmonChannelType;
    const index = Number(m[2] ?? m[5]);
    if (m[3] === "average" && type !== "power") continue;
    if (m[3] === "input" && type === "power" && files.has(`power${index}_average`)) continue;
    const channel: HwmonChannel = { type, index, inputFile: file };
    const label = type === "pwm" ? undefined : readSysfsText(path.join(attrDir, `${type}${index}_label`));
    if (label) channel.label = label;
    const control = controlFiles(type, index, files);
    if (control) channel.control = control;
    channels.set(`${type}${index}`, channel);
  }
  return [...channels.values()].sort((a, b) => (a.type === b.type ? a.index - b.index : a.type < b.type ? -1 : 1));
}

function controlFiles(type: HwmonChannelType, n: number, files: ReadonlySet<string>): HwmonChannelControl | undefined {
  const control: HwmonChannelControl = {};
  const offer = (key: keyof HwmonChannelControl, file: string): void => {
    if (files.has(file)) control[key] = file;
  };
  if (type === "pwm") offer("enable", `pwm${n}_enable`);
  if (type === "fan") {
    offer("manual", `fan${n}_manual`);
    offer("output", `fan${n}_output`);
    offer("min", `fan${n}_min`);
    offer("max", `fan${n}_max`);
  }
  return Object.keys(control).length > 0 ? control : undefined;
}
