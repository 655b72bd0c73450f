/** Every default and limit of the HTTP layer in one place, so the docs, the code and the tests agree. */
export const HTTP_DEFAULTS = {
  /** Telemetry range when the query gives none: the dashboard's default chart window. */
  telemetrySpanMs: 15 * 60_000,
  telemetryLimit: 5_000,
  telemetryLimitMax: 50_000,
  /** Transitions are sparse; by default the whole history up to now, so a timeline knows the state at its start. */
  transitionsFromMs: 0,
  /** Proxies and load balancers drop idle connections after 30–60 s; a comment every 15 s keeps SSE alive. */
  sseHeartbeatMs: 15_000,
  /** A client that stops reading is dropped once this much is queued for it, instead of growing memory. */
  sseMaxBufferedBytes: 1024 * 1024,
  /** Hint to EventSource clients other than the dashboard (which runs its own backoff). */
  sseRetryMs: 2_000,
} as const;
