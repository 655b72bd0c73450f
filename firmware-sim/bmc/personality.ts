/**
 * Firmware behaviours the simulated BMC can take on:
 * - "manual-ok": iDRAC 7/8 and iDRAC 9 up to 3.30.30.30 — the Dell manual fan commands work;
 * - "refuses-manual": iDRAC 9 from 3.34.34.34, iDRAC 10 — every 0x30 0x30 fan command answers 0xD4.
 */
export const BMC_PERSONALITIES = ["manual-ok", "refuses-manual"] as const;
export type BmcPersonality = (typeof BMC_PERSONALITIES)[number];

export function acceptsManualFanControl(personality: BmcPersonality): boolean {
  return personality === "manual-ok";
}
