/**
 * Dell PowerEdge OEM fan commands (netfn 0x30, cmd 0x30), as ipmitool `raw` arguments. Documented by Dell's
 * community and every Dell fan-control project; the bytes are in /work/shared/reference/hardware.md.
 */
export const DellFanCommand = {
  manualOn: ["raw", "0x30", "0x30", "0x01", "0x00"],
  automatic: ["raw", "0x30", "0x30", "0x01", "0x01"],
  /** All fans to pct %, 0..100 (0x00..0x64). */
  allFansPct: (pct: number): string[] => ["raw", "0x30", "0x30", "0x02", "0xff", hexByte(pct)],
} as const;

function hexByte(pct: number): string {
  if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw new RangeError(`fan % must be an integer 0..100, not ${pct}`);
  return `0x${pct.toString(16).padStart(2, "0")}`;
}
