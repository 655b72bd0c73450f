/** The simulated coolant distribution unit: a Modbus RTU slave on a serial device, coupled to a host's liquid loop. */
export { CduFirmware, DEFAULT_MODE_BEHAVIOURS, type CduBehaviour, type CduFirmwareOptions } from "./cdu-firmware.js";
export { answerFrame, type RegisterTable } from "./register-slave.js";
export { crc16, hasValidCrc, withCrc } from "./rtu-crc.js";
export { encodeException, encodeReadResponse, encodeRequest, encodeWriteResponse, ModbusException, RtuFrameParser, type RtuFrame } from "./rtu-frame.js";
export { RtuSlavePort, type LinkFault, type RtuSlaveStats, type SerialLineSettings } from "./rtu-slave-port.js";
export { SimulatedCdu, type HostInputs, type LiquidPhysics, type SimulatedCduOptions } from "./simulated-cdu.js";
