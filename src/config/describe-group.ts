import type { ActuatorGroupConfig } from "./agent-schema.js";

/** How an actuator group reaches its hardware, in words for logs and error messages. */
export function describeActuatorGroup(group: Pick<ActuatorGroupConfig, "driver" | "chip" | "channels" | "modbusDevice">): string {
  const channels = `[${group.channels.join(", ")}]`;
  switch (group.driver) {
    case "hwmon":
      return `hwmon chip ${group.chip ?? "?"} channels ${channels}`;
    case "ipmi":
      return `IPMI fans ${channels}`;
    case "modbus":
      return `Modbus device ${group.modbusDevice ?? "?"}`;
    case "smc":
      return `SMC fans ${channels}`;
  }
}
