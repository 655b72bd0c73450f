import type { TelemetryStore } from "../controller/store/index.js";

/**
 * The store as the controller sees it, reporting the latency of every first ack it records to `observe`. The
 * controller keeps only percentiles of a window; a Prometheus histogram needs every observation, and the store is
 * where each first ack's latency is computed. A Proxy, so every other method (and any added later) passes through.
 */
export function observeAckLatency<S extends Pick<TelemetryStore, "recordAck">>(store: S, observe: (latencyMs: number) => void): S {
  const recordAck: TelemetryStore["recordAck"] = async (ack, receivedAtMs) => {
    const match = await store.recordAck(ack, receivedAtMs);
    if (match.outcome === "first" && match.latencyMs !== undefined) {
      try {
        observe(match.latencyMs);
      } catch {
        // Metrics must never fail an ack write.
      }
    }
    return match;
  };
  return new Proxy(store, {
    get(target, property) {
      if (property === "recordAck") return recordAck;
      const value: unknown = Reflect.get(target, property, target);
      // Bound to the real store: its methods may use private fields, which a Proxy receiver does not have.
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
