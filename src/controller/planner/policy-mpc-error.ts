interface Pending {
  dueMs: number;
  predictedC: number;
}

interface HostError {
  pending: Pending[];
  /** Exponentially weighted mean absolute error, °C; undefined until the first prediction came due. */
  meanAbsC: number | undefined;
  lastMs: number | undefined;
  /** Predictions scored since the host was first seen (or forgotten). */
  scored: number;
}

/**
 * The model's live error per host: each period's prediction of a future CPU reading is kept and, when it comes due,
 * compared with what the host then reports; the absolute errors are averaged with time constant tauMs. This is what
 * tells MPC that the model no longer describes a host (a dead fan, a clogged filter, another chassis).
 */
export class PredictionErrorTracker {
  private readonly hosts = new Map<string, HostError>();

  /** staleMs: a prediction that came due longer ago than this (a telemetry gap) is dropped, not scored late. */
  constructor(
    private readonly tauMs: number,
    private readonly staleMs: number,
  ) {}

  /** A prediction of the CPU value the host will report at dueMs. */
  record(hostId: string, dueMs: number, predictedC: number): void {
    if (!Number.isFinite(predictedC)) return;
    this.state(hostId).pending.push({ dueMs, predictedC });
  }

  /** The host reports cpuNowC at nowMs; every prediction due by then is scored. Returns the running mean absolute error. */
  observe(hostId: string, nowMs: number, cpuNowC: number): number | undefined {
    const s = this.state(hostId);
    if (!Number.isFinite(cpuNowC)) return s.meanAbsC;
    while (s.pending.length > 0 && (s.pending[0]?.dueMs ?? Infinity) <= nowMs) {
      const p = s.pending.shift();
      if (!p) break;
      if (nowMs - p.dueMs > this.staleMs) continue;
      const errC = Math.abs(cpuNowC - p.predictedC);
      const dtMs = s.lastMs === undefined ? this.tauMs : Math.max(0, nowMs - s.lastMs);
      const alpha = 1 - Math.exp(-dtMs / this.tauMs);
      s.meanAbsC = s.meanAbsC === undefined ? errC : s.meanAbsC + alpha * (errC - s.meanAbsC);
      s.lastMs = nowMs;
      s.scored++;
    }
    return s.meanAbsC;
  }

  errorC(hostId: string): number | undefined {
    return this.hosts.get(hostId)?.meanAbsC;
  }

  /** How many of the host's predictions have been scored (0 for a host not seen or forgotten). */
  scoredCount(hostId: string): number {
    return this.hosts.get(hostId)?.scored ?? 0;
  }

  forget(hostId: string): void {
    this.hosts.delete(hostId);
  }

  private state(hostId: string): HostError {
    let s = this.hosts.get(hostId);
    if (!s) {
      s = { pending: [], meanAbsC: undefined, lastMs: undefined, scored: 0 };
      this.hosts.set(hostId, s);
    }
    return s;
  }
}
