import { z } from "zod";
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { MODBUS_DEFAULTS, ModbusDevice } from "./device.js";
import { loadRegisterMap } from "./load-register-map.js";
import { ModbusPumpActuator } from "./pump-actuator.js";
import type { RegisterMap } from "./register-map.js";
import { ModbusSensorSource } from "./sensor-source.js";
import { SerialModbusTransport, type ModbusTransportFactory, type SerialSettings } from "./transport.js";

/**
 * The agent config block for one Modbus RTU device (a CDU or a pump drive). Serial settings default to the
 * register map's; set them only where the device was configured otherwise. Docs: docs/modbus.md.
 */
export const ModbusDeviceConfig = z
  .object({
    /** Prefix of reading ids: "cdu" → "cdu:flow". */
    name: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "1-32 of a-z 0-9 _ -, starting with a letter").default("cdu").describe("Name of the device: prefix of its reading ids (\"cdu\" gives \"cdu:flow\") and what pump.modbusDevice refers to."),
    /** Serial device; prefer /dev/serial/by-id/… so a replug that renumbers ttyUSBn still finds it. */
    port: z.string().min(1).describe("Serial device of the RS-485 / USB-serial line (e.g. /dev/ttyUSB0)."),
    /** A built-in map ("orv3-rpu", "simple-pump-drive") or a path to a map .json file. */
    map: z.string().min(1).describe("Register map: a built-in name (orv3-rpu, simple-pump-drive) or a path to a JSON map."),
    unitId: z.number().int().min(1).max(247).optional().describe("Modbus unit (slave) address; default the map's."),
    baudRate: z.number().int().positive().optional().describe("Line speed; default the map's."),
    parity: z.enum(["none", "even", "odd"]).optional().describe("Parity; default the map's."),
    dataBits: z.union([z.literal(7), z.literal(8)]).optional().describe("Data bits; default the map's."),
    stopBits: z.union([z.literal(1), z.literal(2)]).optional().describe("Stop bits; default the map's."),
    pollMs: z.number().int().min(100).max(600_000).default(MODBUS_DEFAULTS.pollMs).describe("Period of the device's own polling loop; readings are cached with their sample time."),
    /** Per request; at 9600 baud a 32-register read takes ~80 ms on the wire. */
    timeoutMs: z.number().int().min(20).max(10_000).default(500).describe("Time to wait for one answer before retrying."),
    retries: z.number().int().min(0).max(5).default(MODBUS_DEFAULTS.retries).describe("Retries per request after a time-out or a CRC error."),
    retryBackoffMs: z.number().int().min(0).max(5000).default(MODBUS_DEFAULTS.retryBackoffMs).describe("Pause before a retry."),
    reconnectMinMs: z.number().int().min(100).default(MODBUS_DEFAULTS.reconnectMinMs).describe("First delay before reopening a port that disappeared; doubles up to reconnectMaxMs."),
    reconnectMaxMs: z.number().int().min(100).default(MODBUS_DEFAULTS.reconnectMaxMs).describe("Longest delay between attempts to reopen the port."),
    /** How often the pump duty is rewritten while the agent holds manual mode; keep it well under the device's lease. */
    renewMs: z.number().int().min(100).default(10_000).describe("How often the pump duty is rewritten while in manual mode, so the unit's manual-mode lease never lapses."),
  })
  .strict()
  .refine((c) => c.reconnectMinMs <= c.reconnectMaxMs, { message: "reconnectMinMs must not exceed reconnectMaxMs", path: ["reconnectMinMs"] });
export type ModbusDeviceConfig = z.infer<typeof ModbusDeviceConfig>;

/** Serial settings: the config's where given, the map's otherwise. */
export function serialSettings(config: ModbusDeviceConfig, map: RegisterMap): SerialSettings {
  return {
    path: config.port,
    unitId: config.unitId ?? map.serial.unitId,
    baudRate: config.baudRate ?? map.serial.baudRate,
    parity: config.parity ?? map.serial.parity,
    dataBits: config.dataBits ?? map.serial.dataBits,
    stopBits: config.stopBits ?? map.serial.stopBits,
    timeoutMs: config.timeoutMs,
  };
}

export interface ModbusBinding {
  device: ModbusDevice;
  sensors: ModbusSensorSource;
  /** Present when the map has a "control" block. */
  pump: ModbusPumpActuator | undefined;
}

export interface ModbusBindingDeps {
  clock: Clock;
  logger?: Logger;
  /** Default: the real serial port. */
  transportFactory?: ModbusTransportFactory;
}

/** Builds the device, its sensor source and (if the map allows) its pump actuator; call device.start() next. */
export function createModbusBinding(config: ModbusDeviceConfig, deps: ModbusBindingDeps): ModbusBinding {
  const map = loadRegisterMap(config.map);
  const settings = serialSettings(config, map);
  const device = new ModbusDevice({
    name: config.name,
    map,
    transportFactory: deps.transportFactory ?? (() => new SerialModbusTransport(settings)),
    clock: deps.clock,
    pollMs: config.pollMs,
    retries: config.retries,
    retryBackoffMs: config.retryBackoffMs,
    reconnectMinMs: config.reconnectMinMs,
    reconnectMaxMs: config.reconnectMaxMs,
    label: `${config.name} on ${config.port}`,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const sensors = new ModbusSensorSource(device);
  const pump = map.control ? new ModbusPumpActuator(device, { clock: deps.clock, renewMs: config.renewMs, ...(deps.logger ? { logger: deps.logger } : {}) }) : undefined;
  return { device, sensors, pump };
}
