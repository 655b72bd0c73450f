import type { SensorChannel } from "./sensor-channel.js";

/**
 * Picks sensors by id ("coretemp.0:temp1", "nct6798:fan3") or by chip id and label ("coretemp.0:Package id 0",
 * "applesmc:TC0D"); "*" matches any run of characters ("drivetemp.*:temp1", "coretemp.*:Core *").
 */
export function selectSensors(channels: readonly SensorChannel[], selector: string): SensorChannel[] {
  const pattern = globToRegExp(selector);
  return channels.filter((c) => pattern.test(c.id) || (c.label !== undefined && pattern.test(labelledId(c))));
}

/** "<chip id>:<label>", the form the agent's sensor ids take. */
export function labelledId(channel: SensorChannel): string {
  const chip = channel.id.slice(0, channel.id.lastIndexOf(":"));
  return `${chip}:${channel.label ?? ""}`;
}

function globToRegExp(glob: string): RegExp {
  const body = glob
    .split("*")
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${body}$`);
}
