/**
 * Linear sensor conversion of a full sensor record (IPMI v2.0 section 36.3): y = (M·x + B·10^Bexp)·10^Rexp,
 * x the raw byte read as unsigned or two's complement. The BMC quantises true values to raw bytes with it and
 * ipmitool turns them back into °C and RPM.
 */
export interface LinearConversion {
  m: number;
  b: number;
  bExp: number;
  rExp: number;
  /** Two's-complement raw values (temperatures below zero, e.g. a disconnected probe's −40). */
  signed: boolean;
}

export function rawToValue(conv: LinearConversion, raw: number): number {
  const x = conv.signed && raw >= 0x80 ? raw - 0x100 : raw;
  return (conv.m * x + conv.b * 10 ** conv.bExp) * 10 ** conv.rExp;
}

/** The nearest raw byte, clamped to the format's range (a real ADC saturates rather than wrapping). */
export function valueToRaw(conv: LinearConversion, value: number): number {
  const x = Math.round((value / 10 ** conv.rExp - conv.b * 10 ** conv.bExp) / conv.m);
  const [lo, hi] = conv.signed ? [-128, 127] : [0, 255];
  const clamped = Math.min(hi, Math.max(lo, x));
  return clamped & 0xff;
}

/** Signed raw comparison value, so thresholds compare correctly around zero. */
export function rawOrdinal(conv: LinearConversion, raw: number): number {
  return conv.signed && raw >= 0x80 ? raw - 0x100 : raw;
}

/** The M, tolerance, B, accuracy and exponent bytes 25..30 of a full sensor record (table 43-1). */
export function conversionBytes(conv: LinearConversion): Buffer {
  const m = conv.m & 0x3ff;
  const b = conv.b & 0x3ff;
  return Buffer.from([
    m & 0xff,
    (m >> 8) << 6, // M MS bits, tolerance 0
    b & 0xff,
    (b >> 8) << 6, // B MS bits, accuracy 0
    0x00, // accuracy MS, accuracy exponent, sensor direction unspecified
    ((conv.rExp & 0x0f) << 4) | (conv.bExp & 0x0f),
  ]);
}
