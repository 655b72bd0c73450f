/** The simulated Mac SMC and the helper that serves it over the coolfleet SMC helper protocol (docs/mac.md). */
export { SmcHelperService, type SmcHelperServiceOptions, type SmcKeyAccess } from "./helper-service.js";
export { SimulatedSmc, SmcKeyError, type SimulatedSmcOptions } from "./simulated-smc.js";
export { SimulatedSmcHelper, type SimulatedSmcHelperOptions } from "./simulated-smc-helper.js";
