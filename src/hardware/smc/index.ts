export { createSmcBinding, SmcConfig, type SmcBinding } from "./config.js";
export { SmcFanActuator, type SmcFanActuatorOptions } from "./fan-actuator.js";
export { SmcHelperClient, type SmcHelperClientOptions } from "./helper-client.js";
export { isSmcHelperError, SmcHelperError, type SmcFailure } from "./helper-error.js";
export { JsonLineSplitter } from "./json-lines.js";
export {
  encodeSmcLine,
  FanStatus,
  ForceScheme,
  HelloResult,
  RESULT_SCHEMAS,
  SMC_ERROR_CODES,
  SMC_INVALID_TEMP_C,
  SMC_MAX_LINE_BYTES,
  SMC_PROTOCOL_VERSION,
  SmcErrorCode,
  SmcKey,
  SmcRequest,
  SmcResponse,
  type FanLimits,
  type SmcOp,
  type SmcResult,
} from "./protocol.js";
export { fanReadingId, SmcSensorSource, tempReadingId, type SmcSensorSourceOptions } from "./sensor-source.js";
export { Waitress } from "./waitress.js";
