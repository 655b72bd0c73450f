import { describe, expect, it } from "vitest";
import { loadRegisterMap, planReads, rawToValue, valueToRaw, type RegisterDef } from "../../src/hardware/modbus/index.js";

function reg(partial: Partial<RegisterDef>): RegisterDef {
  return { name: "r", address: 0, function: "holding", type: "u16", scale: 1, unit: "C", kind: "temperature", writable: false, writeFunction: 6, ...partial };
}

describe("register scaling", () => {
  it("reads tenths and hundredths without float noise", () => {
    expect(rawToValue(reg({ scale: 0.1 }), 215)).toBe(21.5);
    expect(rawToValue(reg({ scale: 0.01 }), 257)).toBe(2.57);
    expect(rawToValue(reg({ scale: 0.25 }), 3)).toBe(0.75);
    expect(rawToValue(reg({ scale: 10 }), 3)).toBe(30);
  });

  it("reads s16 registers as two's complement, u16 as unsigned", () => {
    expect(rawToValue(reg({ type: "s16", scale: 0.1 }), 0xff9c)).toBe(-10);
    expect(rawToValue(reg({ type: "u16", scale: 0.1 }), 0xff9c)).toBe(6543.6);
    expect(rawToValue(reg({ type: "s16" }), 0x7fff)).toBe(32767);
  });

  it("writes rounded to the register's resolution, negative values as two's complement", () => {
    expect(valueToRaw(reg({ scale: 0.1 }), 21.54)).toBe(215);
    expect(valueToRaw(reg({ scale: 0.1 }), 21.56)).toBe(216);
    expect(valueToRaw(reg({ type: "s16", scale: 0.1 }), -1)).toBe(0xfff6);
  });

  it("clamps writes into the register's limits and what 16 bits hold, never wrapping", () => {
    const duty = reg({ name: "duty", unit: "pct", kind: "control", min: 0, max: 100 });
    expect(valueToRaw(duty, 150)).toBe(100);
    expect(valueToRaw(duty, -3)).toBe(0);
    expect(valueToRaw(reg({}), 70_000)).toBe(0xffff);
    expect(valueToRaw(reg({ type: "s16" }), -40_000)).toBe(0x8000);
    expect(() => valueToRaw(duty, Number.NaN)).toThrow(/register "duty": cannot write NaN/);
  });

  it("round-trips every register of the built-in maps at their resolution", () => {
    for (const r of loadRegisterMap("orv3-rpu").registers) {
      const value = 42.34; // inside every limit (target_temp 15..60, duty 0..100)
      expect(rawToValue(r, valueToRaw(r, value))).toBeCloseTo(value, r.scale < 1 ? 1 : -1);
    }
  });
});

describe("read planning", () => {
  it("reads the ORv3 map in contiguous runs only", () => {
    const map = loadRegisterMap("orv3-rpu");
    const blocks = planReads(map.registers, map.maxReadGap, map.maxReadCount).map((b) => [b.function, b.address, b.count]);
    expect(blocks).toEqual([
      ["holding", 36864, 10],
      ["holding", 37519, 3],
      ["holding", 37527, 1],
      ["holding", 37904, 1],
      ["holding", 37911, 1],
      ["holding", 37914, 1],
      ["holding", 37918, 1],
    ]);
  });

  it("bridges gaps up to maxGap, caps blocks at maxCount, keeps tables apart", () => {
    const regs = [1, 2, 5, 9, 10, 11, 12].map((address) => reg({ name: `h${address}`, address }));
    regs.push(reg({ name: "i2", address: 2, function: "input" }));
    const blocks = planReads(regs, 3, 4).map((b) => [b.function, b.address, b.count, b.registers.length]);
    expect(blocks).toEqual([
      ["holding", 1, 2, 2],
      ["holding", 5, 1, 1],
      ["holding", 9, 4, 4],
      ["input", 2, 1, 1],
    ]);
    expect(planReads(regs, 3, 125).map((b) => [b.address, b.count])).toEqual([
      [1, 12],
      [2, 1],
    ]);
  });
});
