import type { AgentConfig } from "../config/agent-schema.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { SensorSource } from "../hardware/binding.js";
import { HwmonSensorSource } from "../hardware/hwmon/index.js";
import type { IpmiFanActuator } from "../hardware/ipmi/index.js";
import type { ModbusBinding } from "../hardware/modbus/index.js";
import { CpuLoadSource } from "../hardware/procfs/cpu-load-source.js";
import { DiskThroughputSource } from "../hardware/procfs/disk-throughput-source.js";
import type { SmcBinding } from "../hardware/smc/index.js";
import { SysinfoSensorSource } from "../hardware/sysinfo-source.js";
import type { LeakSensor } from "./cooling-faults/index.js";

/** The sensor sources of a Linux host under config.root: hwmon, CPU load, disk throughput. */
export function linuxSensorSources(root: string, logger: Logger): SensorSource[] {
  return [new HwmonSensorSource({ root, logger }), new CpuLoadSource(root), new DiskThroughputSource(root)];
}

/**
 * The sensor side of every bus the config names, with nothing taken over: building it sends no command to a fan
 * or a pump. The buses that carry actuators too (Modbus, SMC) hand them over here for the agent to take later.
 */
export interface SensorBindings {
  sources: SensorSource[];
  leakSensors: LeakSensor[];
  modbus: Map<string, ModbusBinding>;
  smc: SmcBinding | undefined;
  /** Builds the IPMI fan actuator on an ipmitool of its own (only with an ipmi block); its close joins `stops`. */
  ipmiFans: (() => IpmiFanActuator) | undefined;
  /** Each bus's first round, in turn; a Modbus unit that is not there yet is retried in the background instead. */
  start: () => Promise<void>;
  /** Stops every bus (and the IPMI fans' ipmitool, once built); a bus that fails to stop is logged, not thrown. */
  stop: () => Promise<void>;
}

export async function buildSensorBindings(config: AgentConfig, clock: Clock, logger: Logger): Promise<SensorBindings> {
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

  let ipmiFans: (() => IpmiFanActuator) | undefined;
  // Each bus's code is loaded only when the config names it: an agent keeps to the memory its host needs.
  if (config.ipmi) {
    const { IpmiFanActuator, IpmiSensorSource, IpmitoolRunner, IpmitoolSession, ipmitoolTargetFromConfig, SdrCache } = await import("../hardware/ipmi/index.js");
    const ipmi = config.ipmi;
    const runnerOptions = { target: ipmitoolTargetFromConfig(ipmi), timeoutMs: ipmi.timeoutMs, ipmitoolPath: ipmi.ipmitoolPath, clock };
    // Persistent: one long-lived ipmitool for the sensor loop and another for the fans, so a write never queues
    // behind a listing. Stopped after the agent has handed the fans back (CoolingAgent.stop restores first).
    const persistent = ipmi.session === "persistent";
    const sessionOptions = { ...runnerOptions, logger: logger.child({ bus: "ipmi" }) };
    // The sensor sessions read the SDR from a dump made by a one-shot run, instead of walking it as each one opens.
    const sdrCache = persistent && ipmi.sdrCache ? new SdrCache({ dumpRunner: new IpmitoolRunner(runnerOptions), clock, logger: sessionOptions.logger }) : undefined;
    const sensorRunner = persistent ? new IpmitoolSession({ ...sessionOptions, ...(sdrCache ? { sdrCache } : {}) }) : new IpmitoolRunner(runnerOptions);
    const source = new IpmiSensorSource({
      runner: sensorRunner,
      clock,
      sweepPeriodMs: ipmi.sweepPeriodMs,
      staleAfterMs: config.plausibility.staleAfterS * 1000,
      logger: logger.child({ bus: "ipmi" }),
    });
    sources.push(source);
    starts.push(async () => void (await source.start()));
    stops.push(async () => {
      source.stop();
      if (sensorRunner instanceof IpmitoolSession) await sensorRunner.close();
      sdrCache?.dispose();
    });
    ipmiFans = () => {
      const fanRunner = persistent ? new IpmitoolSession(sessionOptions) : new IpmitoolRunner(runnerOptions);
      if (fanRunner instanceof IpmitoolSession) stops.push(() => fanRunner.close());
      return new IpmiFanActuator({ runner: fanRunner, clock, fanCount: config.fans.channels.length, reprobeMs: ipmi.reprobeMs, logger: logger.child({ bus: "ipmi" }) });
    };
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

  return {
    sources,
    leakSensors,
    modbus,
    smc,
    ipmiFans,
    start: async () => {
      for (const start of starts) await start();
    },
    stop: async () => {
      for (const stop of stops) await stop().catch((err: unknown) => logger.warn({ err: String(err) }, "binding did not stop cleanly"));
    },
  };
}
