import { randomUUID } from "node:crypto";
import type { AgentConfig } from "../config/agent-schema.js";
import type { Clock } from "../core/clock.js";
import { readSecretFile } from "../config/secret-file.js";
import type { Logger } from "../core/logger.js";
import { packageVersion } from "../core/version.js";
import type { CoolingActuator, SensorSource } from "../hardware/binding.js";
import { createHwmonActuator, HwmonDiscovery, HwmonSensorSource } from "../hardware/hwmon/index.js";
import { CpuLoadSource } from "../hardware/procfs/cpu-load-source.js";
import { DiskThroughputSource } from "../hardware/procfs/disk-throughput-source.js";
import { CoolingAgent } from "./agent.js";
import { AgentLink } from "./mqtt-link.js";

export interface AssembleOptions {
  config: AgentConfig;
  hostId: string;
  clock: Clock;
  logger: Logger;
}

/** The sensor sources of a Linux host under config.root: hwmon, CPU load, disk throughput. */
export function linuxSensorSources(root: string, logger: Logger): SensorSource[] {
  return [new HwmonSensorSource({ root, logger }), new CpuLoadSource(root), new DiskThroughputSource(root)];
}

/** Wires a CoolingAgent to the real bindings its config names (hwmon, procfs) and to the broker. */
export function assembleAgent({ config, hostId, clock, logger }: AssembleOptions): CoolingAgent {
  const chips = new HwmonDiscovery(config.root).discover();
  const fans: CoolingActuator = createHwmonActuator(config.root, config.fans, chips);
  const pump: CoolingActuator | undefined = config.pump ? createHwmonActuator(config.root, config.pump, chips) : undefined;
  const password = readSecretFile("broker.passwordFile", config.broker.passwordFile);
  const boot = randomUUID();
  return new CoolingAgent({
    config,
    hostId,
    boot,
    agentVersion: packageVersion(),
    clock,
    logger,
    sources: linuxSensorSources(config.root, logger),
    fans,
    ...(pump ? { pump } : {}),
    createLink: (onCommand) =>
      new AgentLink({ broker: config.broker, hostId, boot, clock, logger, onCommand, ...(password !== undefined ? { password } : {}) }),
  });
}
