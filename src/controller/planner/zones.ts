import type { Capabilities, SensorRole } from "../../protocol/index.js";

// What the agent cools with each group when its birth does not say (agents before the roles were announced): the
// agent's own defaults for the fans; a pumped loop carries CPU heat and is watched by its coolant sensors.
const DEFAULT_FAN_ROLES: readonly SensorRole[] = ["cpu", "drive"];
const DEFAULT_PUMP_ROLES: readonly SensorRole[] = ["cpu", "coolant"];

/** Roles no fan or pump speed can lower: the air that arrives. */
const UNCOOLABLE: ReadonlySet<SensorRole> = new Set(["inlet"]);

function zone(roles: readonly SensorRole[]): ReadonlySet<SensorRole> {
  return new Set(roles.filter((role) => !UNCOOLABLE.has(role)));
}

/**
 * The sensor roles a host's fans cool, as its agent announces them (the fan group's `roles`). On a liquid-cooled
 * host the CPUs sit on cold plates and the fans typically cool only drives or the exhaust: a baseline that drove the
 * fans from the CPUs there would spend fan watts that cool nothing.
 */
export function fanZone(caps: Capabilities | undefined): ReadonlySet<SensorRole> {
  return zone(caps?.fans.roles ?? DEFAULT_FAN_ROLES);
}

/** The sensor roles a host's pump cools, as its agent announces them (the pump group's `roles`). */
export function pumpZone(caps: Capabilities | undefined): ReadonlySet<SensorRole> {
  return zone(caps?.pump?.roles ?? DEFAULT_PUMP_ROLES);
}
