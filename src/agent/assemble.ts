import { randomUUID } from "node:crypto";
import type { AgentConfig, ActuatorGroupConfig } from "../config/agent-schema.js";
import { readSecretFile } from "../config/secret-file.js";
import type { Clock } from "../core/clock.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { packageVersion } from "../core/version.js";
import type { CoolingActuator, SensorSource } from "../hardware/binding.js";
import { createHwmonActuator, HwmonDiscovery, type HwmonChip } from "../hardware/hwmon/index.js";
import { collectInventory } from "../hardware/inventory.js";
import type { IpmiFanActuator } from "../hardware/ipmi/index.js";
import { CoolingAgent, type BindingLifecycle } from "./agent.js";
import type { LeakSensor } from "./cooling-faults/index.js";
import { AgentLink } from "./mqtt-link.js";
import { openOutbox } from "./outbox/index.js";
import { buildSensorBindings } from "./sensor-bindings.js";

export interface AssembleOptions {
  config: AgentConfig;
  hostId: string;
  clock: Clock;
  logger: Logger;
  /** Skip the systeminformation inventory (tests and the demo run many agents in one process). */
  inventory?: boolean;
}

/** Everything the config's buses give the agent: sensor sources, the two actuator groups, and their lifecycles. */
interface Bindings {
  sources: SensorSource[];
  fans: CoolingActuator;
  pump: CoolingActuator | undefined;
  leakSensors: LeakSensor[];
  lifecycle: BindingLifecycle;
}

function hwmonActuator(config: AgentConfig, group: ActuatorGroupConfig, chips: () => readonly HwmonChip[]): CoolingActuator {
  return createHwmonActuator(config.root, { chip: group.chip ?? "", device: group.device, channels: group.channels }, chips());
}

async function buildBindings(config: AgentConfig, clock: Clock, logger: Logger): Promise<Bindings> {
  const { sources, leakSensors, modbus, smc, ipmiFans: buildIpmiFans, start, stop } = await buildSensorBindings(config, clock, logger);
  let chipCache: readonly HwmonChip[] | undefined;
  const chips = (): readonly HwmonChip[] => (chipCache ??= new HwmonDiscovery(config.root).discover());
  const ipmiFans: IpmiFanActuator | undefined = config.fans.driver === "ipmi" ? buildIpmiFans?.() : undefined;

  const actuatorFor = (name: "fans" | "pump", group: ActuatorGroupConfig): CoolingActuator => {
    switch (group.driver) {
      case "hwmon":
        return hwmonActuator(config, group, chips);
      case "ipmi":
        if (!ipmiFans) throw new CoolfleetError(ErrorCode.ConfigInvalid, `${name}.driver ipmi needs an ipmi block`);
        return ipmiFans;
      case "smc":
        if (!smc) throw new CoolfleetError(ErrorCode.ConfigInvalid, `${name}.driver smc needs an smc block`);
        return smc.fans;
      case "modbus": {
        const pump = modbus.get(group.modbusDevice ?? "")?.pump;
        if (!pump) throw new CoolfleetError(ErrorCode.ConfigInvalid, `${name}.modbusDevice "${group.modbusDevice ?? ""}": no modbus device of that name with a pump control block in its register map`);
        return pump;
      }
    }
  };

  return {
    sources,
    fans: actuatorFor("fans", config.fans),
    pump: config.pump ? actuatorFor("pump", config.pump) : undefined,
    leakSensors,
    lifecycle: { start, stop },
  };
}

/** Wires a CoolingAgent to the real bindings its config names (hwmon, procfs, IPMI, Modbus, SMC) and to the broker. */
export async function assembleAgent({ config, hostId, clock, logger, inventory = true }: AssembleOptions): Promise<CoolingAgent> {
  const bindings = await buildBindings(config, clock, logger);
  const password = readSecretFile("broker.passwordFile", config.broker.passwordFile);
  const boot = randomUUID();
  return new CoolingAgent({
    config,
    hostId,
    boot,
    agentVersion: packageVersion(),
    clock,
    logger,
    sources: bindings.sources,
    fans: bindings.fans,
    ...(bindings.pump ? { pump: bindings.pump } : {}),
    leakSensors: bindings.leakSensors,
    lifecycle: bindings.lifecycle,
    ...(inventory ? { inventory: await collectInventory({ logger }) } : {}),
    createLink: (onCommand) =>
      new AgentLink({
        broker: config.broker,
        hostId,
        boot,
        clock,
        logger,
        onCommand,
        outbox: openOutbox(config, clock, logger.child({ part: "outbox" })),
        replayPerS: config.outbox.replayPerS,
        ...(password !== undefined ? { password } : {}),
      }),
  });
}
