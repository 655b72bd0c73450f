import { HttpError } from "./http-error.js";

export interface TimeRangeMs {
  fromMs: number;
  toMs: number;
}

/**
 * from/to in ms since the epoch. Missing (or empty) to is now; missing from is to − defaultSpanMs, or
 * defaultFromMs when given.
 */
export function parseTimeRange(
  query: URLSearchParams,
  nowMs: number,
  defaults: { spanMs: number; fromMs?: number },
): TimeRangeMs {
  const toMs = parseEpochMs(query, "to") ?? nowMs;
  const fromMs = parseEpochMs(query, "from") ?? defaults.fromMs ?? Math.max(0, toMs - defaults.spanMs);
  if (fromMs > toMs) throw new HttpError(400, `query parameter "from" (${fromMs}) is after "to" (${toMs})`);
  return { fromMs, toMs };
}

export function parseLimit(query: URLSearchParams, defaultLimit: number, maxLimit: number): number {
  const raw = query.get("limit");
  if (raw === null || raw === "") return defaultLimit;
  const limit = parseNonNegativeInteger(raw);
  if (limit === undefined || limit < 1 || limit > maxLimit) {
    throw new HttpError(400, `query parameter "limit" must be an integer from 1 to ${maxLimit}; got "${raw}"`);
  }
  return limit;
}

function parseEpochMs(query: URLSearchParams, name: "from" | "to"): number | undefined {
  const raw = query.get(name);
  if (raw === null || raw === "") return undefined;
  const value = parseNonNegativeInteger(raw);
  if (value === undefined) {
    throw new HttpError(400, `query parameter "${name}" must be milliseconds since the epoch (a non-negative integer); got "${raw}"`);
  }
  return value;
}

/** Digits only: Number() would also accept "1e3", "0x10", " 12 " and "". */
function parseNonNegativeInteger(raw: string): number | undefined {
  if (!/^\d{1,16}$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
}
