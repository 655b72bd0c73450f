export { ModbusDeviceConfig, createModbusBinding, serialSettings, type ModbusBinding, type ModbusBindingDeps } from "./config.js";
export { ModbusDevice, MODBUS_DEFAULTS, type CachedValue, type FlagsStatus, type ModbusDeviceOptions, type PollResult } from "./device.js";
export { ModbusLink, type LinkState, type ModbusStats } from "./link.js";
export { BUILTIN_REGISTER_MAPS, loadRegisterMap } from "./load-register-map.js";
export { ModbusPumpActuator, type ModbusPumpActuatorOptions } from "./pump-actuator.js";
export { planReads, type ReadBlock } from "./read-plan.js";
export { parseRegisterMap, RegisterMap, registerMapProblems } from "./register-map.js";
export {
  REGISTER_FUNCTIONS,
  REGISTER_KINDS,
  REGISTER_ROLES,
  REGISTER_UNITS,
  RegisterMapSchema,
  type RegisterDef,
  type RegisterFunction,
  type RegisterKind,
  type RegisterMapData,
  type RegisterRole,
  type RegisterUnit,
} from "./register-map-schema.js";
export { classifyModbusError, isModbusRequestError, ModbusRequestError, type ModbusFailure } from "./request-error.js";
export { realPause, retryDelayMs, withRetries, type Pause, type RetryPolicy } from "./retry.js";
export { rawToValue, rawRange, valueToRaw } from "./scaling.js";
export { ModbusSensorSource, reportableRegisters, type ModbusReadingDescriptor } from "./sensor-source.js";
export { SerialModbusTransport, type ModbusTransport, type ModbusTransportFactory, type SerialSettings } from "./transport.js";
