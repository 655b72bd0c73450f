import type { SpeedFaultConfig } from "../../config/agent-schema.js";
import { SpeedFailureDetector } from "./speed-failure-detector.js";

/** fan_failure: each fan tachometer (kind fan, RPM) against the fans group's command. */
export function fanFailureDetector(cfg: SpeedFaultConfig): SpeedFailureDetector {
  return new SpeedFailureDetector({ kind: "fan_failure", measures: (r) => r.kind === "fan" && r.unit === "rpm" }, cfg);
}
