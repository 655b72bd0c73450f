import type { RegisterDef } from "./register-map-schema.js";

type Scaled = Pick<RegisterDef, "type" | "scale">;
type Limited = Scaled & Pick<RegisterDef, "min" | "max" | "name">;

/** Decimal places of a scale factor, so 0.1 × 215 reads 21.5 and not 21.500000000000004. */
function decimalsOf(scale: number): number {
  const text = String(scale);
  if (text.includes("e-")) return Math.min(15, Number(text.split("e-")[1] ?? 0) + 3);
  const dot = text.indexOf(".");
  return dot < 0 ? 0 : text.length - dot - 1;
}

/** Engineering value of one 16-bit register word. */
export function rawToValue(reg: Scaled, word: number): number {
  const unsigned = word & 0xffff;
  const signed = reg.type === "s16" && unsigned >= 0x8000 ? unsigned - 0x10000 : unsigned;
  return Number((signed * reg.scale).toFixed(decimalsOf(reg.scale)));
}

/** Engineering values a register can hold at all. */
export function rawRange(reg: Scaled): { minValue: number; maxValue: number } {
  return reg.type === "s16" ? { minValue: -0x8000 * reg.scale, maxValue: 0x7fff * reg.scale } : { minValue: 0, maxValue: 0xffff * reg.scale };
}

/**
 * The register word for an engineering value: clamped into the register's min/max (and what 16 bits can hold),
 * rounded to the register's resolution. A write never wraps around to a wild value.
 */
export function valueToRaw(reg: Limited, value: number): number {
  if (!Number.isFinite(value)) throw new RangeError(`register "${reg.name}": cannot write ${value}`);
  const { minValue, maxValue } = rawRange(reg);
  const lo = Math.max(minValue, reg.min ?? minValue);
  const hi = Math.min(maxValue, reg.max ?? maxValue);
  const clamped = Math.min(hi, Math.max(lo, value));
  const steps = Math.round(clamped / reg.scale);
  return steps < 0 ? steps + 0x10000 : steps;
}
