/** Display formatting: fixed decimals per unit so columns of numbers line up and do not jitter. */

export const DASH = "–";

export function formatNumber(value: number | null | undefined, decimals = 0): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return value.toLocaleString("en-US", { minimumFractionDigits: decimals, maximumFractionDigits: decimals });
}

export function formatTempC(value: number | null | undefined): string {
  return value === null || value === undefined ? DASH : `${formatNumber(value, 1)} °C`;
}

export function formatPct(value: number | null | undefined): string {
  return value === null || value === undefined ? DASH : `${formatNumber(value, 0)} %`;
}

export function formatWatts(value: number | null | undefined): string {
  if (value === null || value === undefined) return DASH;
  return Math.abs(value) >= 10_000 ? `${formatNumber(value / 1000, 1)} kW` : `${formatNumber(value, 0)} W`;
}

export function formatMs(value: number | null | undefined): string {
  return value === null || value === undefined ? DASH : `${formatNumber(value, value < 10 ? 1 : 0)} ms`;
}

/** 1234 → "1,234", 1234567 → "1.23 M": counters grow without widening the header. */
export function formatCount(value: number): string {
  if (value >= 1_000_000_000) return `${formatNumber(value / 1e9, 2)} G`;
  if (value >= 1_000_000) return `${formatNumber(value / 1e6, 2)} M`;
  return formatNumber(value, 0);
}

/** Signed margin to target: "−12.0 K" is headroom, "+1.5 K" is over target. */
export function formatMarginK(value: number | null): string {
  if (value === null) return DASH;
  const sign = value > 0 ? "+" : value < 0 ? "−" : "±";
  return `${sign}${formatNumber(Math.abs(value), 1)} K`;
}

/** Wall-clock time of day, 24 h, seconds: what an operator compares with logs. */
export function formatClock(ms: number): string {
  return new Date(ms).toLocaleTimeString("en-GB", { hour12: false });
}

export function formatAge(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ${Math.floor((s % 3600) / 60)} min`;
  return `${Math.floor(s / 86_400)} d`;
}
