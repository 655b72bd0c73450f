/** The simulated BMC: a Dell iDRAC stand-in that the real ipmitool talks to over UDP. */
export { NetFn } from "./bmc-commands.js";
export { SimulatedBmc, type BmcHost, type BmcSensorView, type SimulatedBmcOptions } from "./simulated-bmc.js";
export { BMC_PERSONALITIES, type BmcPersonality } from "./personality.js";
export type { BmcFanMode, FanModeChange } from "./fan-mode.js";
export type { BmcSensorFault, SensorNaming } from "./bmc-sensors.js";
export { DEFAULT_CIPHER_SUITE_IDS, SUPPORTED_CIPHER_SUITES } from "./cipher-suites.js";
