import type { RegisterFunction, RegisterDef } from "./register-map-schema.js";

/** One read request: count registers from address, and which map registers sit where in it. */
export interface ReadBlock {
  function: RegisterFunction;
  address: number;
  count: number;
  registers: readonly RegisterDef[];
}

/**
 * Groups registers into as few read requests as the device allows: runs of addresses in the same table, bridging
 * at most maxGap unmapped registers, at most maxCount long.
 */
export function planReads(registers: readonly RegisterDef[], maxGap: number, maxCount: number): ReadBlock[] {
  const blocks: ReadBlock[] = [];
  for (const fn of ["holding", "input"] as const) {
    const sorted = registers.filter((r) => r.function === fn).sort((a, b) => a.address - b.address);
    let current: { address: number; end: number; registers: RegisterDef[] } | undefined;
    for (const reg of sorted) {
      const fits = current && reg.address - current.end - 1 <= maxGap && reg.address - current.address + 1 <= maxCount;
      if (current && fits) {
        current.end = reg.address;
        current.registers.push(reg);
      } else {
        if (current) blocks.push({ function: fn, address: current.address, count: current.end - current.address + 1, registers: current.registers });
        current = { address: reg.address, end: reg.address, registers: [reg] };
      }
    }
    if (current) blocks.push({ function: fn, address: current.address, count: current.end - current.address + 1, registers: current.registers });
  }
  return blocks;
}
