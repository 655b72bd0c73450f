import type { ActuatorGroupConfig, AgentConfig } from "../config/agent-schema.js";
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
    ...(group.maxPowerW === undefined ? {} : { maxPowerW: group.maxPowerW }),
  };
}

/**
 * Everything the birth announces the host can do: its groups (the pump only when it has a tier, i.e. a driver), the
 * longest lease it honours, and the CPUs' leakage when configured.
 */
export function hostCapabilities(config: AgentConfig, fansTier: CapabilityTier, pumpTier: CapabilityTier | undefined): Capabilities {
  return {
    fans: actuatorCapability(config.fans, fansTier),
    ...(config.pump && pumpTier !== undefined ? { pump: actuatorCapability(config.pump, pumpTier) } : {}),
    maxLeaseMs: config.maxLeaseMs,
    ...(config.cpuLeakage ? { cpuLeakage: config.cpuLeakage } : {}),
  };
}
