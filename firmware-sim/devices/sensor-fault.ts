/** Sentinel readings real hardware produces; plausibility checks in the agent must catch each of them. */
export const SentinelValue = {
  /** A disconnected thermal probe (IPMI and many Super-I/O chips read −40 °C). */
  disconnectedC: -40,
  /** The Apple SMC's invalid-reading value. */
  smcInvalidC: 129,
  /** A fan tachometer that saturated (no pulses counted). */
  fanSaturatedRpm: 65535,
} as const;

/**
 * A fault a test switches on for one sensor. Every fault shows from the next report (device step) on.
 * - stuck: the sensor keeps reporting its last reported value.
 * - dropout: the sysfs file disappears (readers get ENOENT) until the fault is cleared.
 * - spike: the next `reports` reports (default 1) are offset by `offset` in the sensor's unit (°C, RPM, W, dL/h).
 * - sentinel: the sensor reports `value` (default −40 °C for temperatures, 65535 RPM for fans, 0 otherwise).
 */
export type SensorFault =
  | { kind: "stuck" }
  | { kind: "dropout" }
  | { kind: "spike"; offset: number; reports?: number }
  | { kind: "sentinel"; value?: number };

export type SensorFaultKind = SensorFault["kind"];
