export { HwmonDiscovery, matchChips, describeChips, type HwmonChip } from "./discovery.js";
export type { HwmonChannel, HwmonChannelType, HwmonChannelControl } from "./channels.js";
export { sensorsOf, type HwmonSensor, type SensorDescriptor } from "./sensors.js";
export { HwmonSensorSource, type HwmonSensorSourceOptions } from "./sensor-source.js";
export { HwmonPwmActuator } from "./pwm-actuator.js";
export { ApplesmcFanActuator } from "./applesmc-actuator.js";
export { createHwmonActuator, findActuatorChip, type ActuatorChipSelector } from "./actuator-factory.js";
