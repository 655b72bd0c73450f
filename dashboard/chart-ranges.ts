/** The chart windows an operator can pick; the key is what the URL carries (#/host/<id>?range=15m). */
export const CHART_RANGES = [
  { key: "5m", label: "5 min", spanMs: 5 * 60_000 },
  { key: "15m", label: "15 min", spanMs: 15 * 60_000 },
  { key: "1h", label: "1 h", spanMs: 60 * 60_000 },
] as const;

export type ChartRangeKey = (typeof CHART_RANGES)[number]["key"];

export const DEFAULT_RANGE: ChartRangeKey = "15m";

export function rangeSpanMs(key: ChartRangeKey): number {
  return CHART_RANGES.find((r) => r.key === key)!.spanMs;
}

export function isRangeKey(value: string | null): value is ChartRangeKey {
  return CHART_RANGES.some((r) => r.key === value);
}
