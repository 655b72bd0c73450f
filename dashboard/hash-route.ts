import { DEFAULT_RANGE, isRangeKey, type ChartRangeKey } from "./chart-ranges.js";

/** Views are addressed by the URL fragment, so the server only ever serves one page and links can be shared. */
export type Route = { view: "fleet" } | { view: "host"; hostId: string; range: ChartRangeKey };

export function parseRoute(hash: string): Route {
  const match = /^#\/host\/([^?]+)(?:\?(.*))?$/.exec(hash);
  if (!match) return { view: "fleet" };
  const range = new URLSearchParams(match[2] ?? "").get("range");
  let hostId: string;
  try {
    hostId = decodeURIComponent(match[1]!);
  } catch {
    return { view: "fleet" };
  }
  return { view: "host", hostId, range: isRangeKey(range) ? range : DEFAULT_RANGE };
}

export function hostHash(hostId: string, range: ChartRangeKey): string {
  const query = range === DEFAULT_RANGE ? "" : `?range=${range}`;
  return `#/host/${encodeURIComponent(hostId)}${query}`;
}
