import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { ModbusDeviceConfig } from "./config-schema.js";
import { ModbusDevice } from "./device.js";
import { loadRegisterMap } from "./load-register-map.js";
import { ModbusPumpActuator } from "./pump-actuator.js";
import type { RegisterMap } from "./register-map.js";
import { ModbusSensorSource } from "./sensor-source.js";
import { SerialModbusTransport, type ModbusTransportFactory, type SerialSettings } from "./transport.js";

export { ModbusDeviceConfig } from "./config-schema.js";


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
