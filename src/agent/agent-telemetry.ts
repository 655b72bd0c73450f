import type { ControlMode } from "../protocol/index.js";

const MODE_PRECEDENCE: readonly ControlMode[] = ["failsafe", "override", "remote", "local"];

/** The mode telemetry reports for the host: the most safety-driven of its actuator groups. */
export function hostMode(modes: readonly ControlMode[]): ControlMode {
  for (const mode of MODE_PRECEDENCE) if (modes.includes(mode)) return mode;
  return "local";
}
