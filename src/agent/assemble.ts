import { randomUUID } from "node:crypto";
import type { AgentConfig, ActuatorGroupConfig } from "../config/agent-schema.js";
import { readSecretFile } from "../config/secret-file.js";
import type { Clock } from "../core/clock.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { packageVersion } from "../core/version.js";
import type { CoolingActuator, SensorSource } from "../hardware/binding.js";
import { createHwmonActuator, HwmonDiscovery, HwmonSensorSource, type HwmonChip } from "../hardware/hwmon/index.js";
import { collectInventory } from "../hardware/inventory.js";
import type { IpmiFanActuator } from "../hardware/ipmi/index.js";
import type { ModbusBinding } from "../hardware/modbus/index.js";
import { CpuLoadSource } from "../hardware/procfs/cpu-load-source.js";
import { DiskThroughputSource } from "../hardware/procfs/disk-throughput-source.js";
import { SysinfoSensorSource } from "../hardware/sysinfo-source.js";
import type { SmcBinding } from "../hardware/smc/index.js";
import { CoolingAgent, type BindingLifecycle } from "./agent.js";
import type { LeakSensor } from "./cooling-faults/index.js";
import { AgentLink } from "./mqtt-link.js";
import { openOutbox } from "./outbox/index.js";

export interface AssembleOptions {
  config: AgentConfig;
  hostId: string;
  clock: Clock;
  logger: Logger;
  /** Skip the systeminformation inventory (tests and the demo run many agents in one process). */
  inventory?: boolean;
}

/** The sensor sources of a Linux host under config.root: hwmon, CPU load, disk throughput. */
export function linuxSensorSources(root: string, logger: Logger): SensorSource[] {
  return [new HwmonSensorSource({ root, logger }), new CpuLoadSource(root), new DiskThroughputSource(root)];
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
  const starts: (() => Promise<void>)[] = [];
  const stops: (() => Promise<void>)[] = [];
  const sources: SensorSource[] = [];
  if (config.sysinfo) {
    // macOS: no /proc; load and CPU temperature come from systeminformation in a slow loop of its own.
    const source = new SysinfoSensorSource({ clock, pollMs: config.sysinfo.pollMs, logger: logger.child({ bus: "sysinfo" }) });
    sources.push(new HwmonSensorSource({ root: config.root, logger }), source);
    starts.push(() => source.start());
    stops.push(() => Promise.resolve(source.stop()));
  } else {
    sources.push(...linuxSensorSources(config.root, logger));
  }
  let chipCache: readonly HwmonChip[] | undefined;
  const chips = (): readonly HwmonChip[] => (chipCache ??= new HwmonDiscovery(config.root).discover());

  let ipmiFans: IpmiFanActuator | undefined;
  // Each bus's code is loaded only when the config names it: an agent keeps to the memory its host needs.
  if (config.ipmi) {
    const { IpmiFanActuator, IpmiSensorSource, IpmitoolRunner, IpmitoolSession, ipmitoolTargetFromConfig } = await import("../hardware/ipmi/index.js");
    const ipmi = config.ipmi;
    const runnerOptions = { target: ipmitoolTargetFromConfig(ipmi), timeoutMs: ipmi.timeoutMs, ipmitoolPath: ipmi.ipmitoolPath, clock };
    // Persistent: one long-lived ipmitool for the sensor loop and another for the fans, so a write never queues
    // behind a listing. Stopped after the agent has handed the fans back (CoolingAgent.stop restores first).
    const persistent = ipmi.session === "persistent";
    const sessionOptions = { ...runnerOptions, logger: logger.child({ bus: "ipmi" }) };
    const sensorRunner = persistent ? new IpmitoolSession(sessionOptions) : new IpmitoolRunner(runnerOptions);
    const source = new IpmiSensorSource({ runner: sensorRunner, clock, sweepPeriodMs: ipmi.sweepPeriodMs, logger: logger.child({ bus: "ipmi" }) });
    sources.push(source);
    starts.push(async () => void (await source.start()));
    stops.push(async () => {
      source.stop();
      if (sensorRunner instanceof IpmitoolSession) await sensorRunner.close();
    });
    if (config.fans.driver === "ipmi") {
      const fanRunner = persistent ? new IpmitoolSession(sessionOptions) : new IpmitoolRunner(runnerOptions);
      if (fanRunner instanceof IpmitoolSession) stops.push(() => fanRunner.close());
      ipmiFans = new IpmiFanActuator({ runner: fanRunner, clock, fanCount: config.fans.channels.length, reprobeMs: ipmi.reprobeMs, logger: logger.child({ bus: "ipmi" }) });
    }
  }

  const modbus = new Map<string, ModbusBinding>();
  const leakSensors: LeakSensor[] = [];
  const { createModbusBinding } = config.modbus?.length ? await import("../hardware/modbus/index.js") : { createModbusBinding: undefined };
  for (const device of config.modbus ?? []) {
    if (!createModbusBinding) break;
    const binding = createModbusBinding(device, { clock, logger: logger.child({ bus: "modbus", device: device.name }) });
    modbus.set(device.name, binding);
    sources.push(binding.sensors);
    leakSensors.push({ name: device.name, leak: () => binding.sensors.leak() });
    // A unit that is not there yet is retried in the background; it must not keep the host from being cooled.
    starts.push(() => binding.device.start().catch((err: unknown) => logger.warn({ device: device.name, err: String(err) }, "modbus device not reachable yet; retrying")));
    stops.push(() => binding.device.stop());
  }

  let smc: SmcBinding | undefined;
  if (config.smc) {
    const { createSmcBinding } = await import("../hardware/smc/index.js");
    smc = await createSmcBinding(config.smc, { clock, logger: logger.child({ bus: "smc" }) });
    const binding = smc;
    sources.push(binding.sensors);
    starts.push(async () => binding.sensors.start());
    stops.push(async () => {
      binding.sensors.stop();
      await binding.client.close();
    });
  }

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
    lifecycle: {
      start: async () => {
        for (const start of starts) await start();
      },
      stop: async () => {
        for (const stop of stops) await stop().catch((err: unknown) => logger.warn({ err: String(err) }, "binding did not stop cleanly"));
      },
    },
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
