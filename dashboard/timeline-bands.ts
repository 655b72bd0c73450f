import type { StateTransitionRecord } from "../src/controller/http/read-model.js";
import type { HostStateName } from "../src/controller/types.js";

/** One stretch of time a host spent in one state, clipped to the range shown. */
export interface StateBand {
  state: HostStateName;
  startMs: number;
  endMs: number;
  /** Why the host entered this state; null when it entered before the transitions we hold. */
  cause: string | null;
}

/**
 * Bands covering [fromMs, toMs]. The state at fromMs is where the last earlier transition went; without one, where
 * the first later transition came from; without any transition at all, the host's current state.
 */
export function stateBands(
  transitions: readonly StateTransitionRecord[],
  fromMs: number,
  toMs: number,
  currentState: HostStateName,
): StateBand[] {
  if (toMs <= fromMs) return [];
  const sorted = [...transitions].sort((a, b) => a.atMs - b.atMs);
  const before = sorted.filter((t) => t.atMs <= fromMs).at(-1);
  const within = sorted.filter((t) => t.atMs > fromMs && t.atMs <= toMs);
  let state: HostStateName = before?.to ?? within[0]?.from ?? currentState;
  let cause: string | null = before?.cause ?? null;
  let startMs = fromMs;
  const bands: StateBand[] = [];
  for (const t of within) {
    if (t.atMs > startMs) bands.push({ state, startMs, endMs: t.atMs, cause });
    state = t.to;
    cause = t.cause;
    startMs = t.atMs;
  }
  bands.push({ state, startMs, endMs: toMs, cause });
  return bands;
}
