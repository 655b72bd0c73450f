import type { ActuatorGroupConfig } from "../config/agent-schema.js";
import type { Capabilities, CapabilityTier } from "../protocol/index.js";

type ActuatorCapability = Capabilities["fans"];

/**
 * What the birth announces about one actuator group: its channels, the tier the controller may use, its bounds, and
 * the sensor roles it cools (the controller's baselines drive each group from those roles, as L2 does).
 */
export function actuatorCapability(group: ActuatorGroupConfig, tier: CapabilityTier): ActuatorCapability {
  return {
    channels: group.channels.length,
    tier,
    minPct: group.minPct,
    maxPct: group.maxPct,
    roles: [...new Set(group.roles)],
  };
}
