import type { PlausibilityConfig } from "../config/agent-schema.js";
import type { ReadingUnit } from "../protocol/index.js";

/**
 * Whether a finite value is physically possible for its unit. The temperature bounds come from config; their
 * defaults (−10..125 °C) reject the two common sentinels: −40 °C from a disconnected IPMI probe and 129 °C,
 * the SMC's invalid reading. fanMaxRpm (default 30 000) rejects 65535, the all-ones "no tach" value.
 */
export function isPlausibleValue(unit: ReadingUnit, value: number, cfg: PlausibilityConfig): boolean {
  switch (unit) {
    case "C":
      return value >= cfg.temperatureMinC && value <= cfg.temperatureMaxC;
    case "rpm":
      return value >= 0 && value <= cfg.fanMaxRpm;
    case "pct":
      return value >= 0 && value <= 100;
    case "MBps":
    case "Lpm":
    case "W":
      return value >= 0;
  }
}
