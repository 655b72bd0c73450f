import type { SpeedFaultConfig } from "../../config/agent-schema.js";
import { SpeedFailureDetector } from "./speed-failure-detector.js";

/**
 * pump_failure: each pump tachometer (kind pump, RPM) and each coolant flow meter (kind flow) against the pump
 * group's duty. Flow catches what RPM cannot: a worn impeller or air in the loop spins at full speed and moves less.
 */
export function pumpFailureDetector(cfg: SpeedFaultConfig): SpeedFailureDetector {
  return new SpeedFailureDetector(
    { kind: "pump_failure", measures: (r) => (r.kind === "pump" && r.unit === "rpm") || (r.kind === "flow" && r.unit === "Lpm") },
    cfg,
  );
}
