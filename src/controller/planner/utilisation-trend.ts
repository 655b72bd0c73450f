/**
 * How far each host's CPU utilisation has risen above its recent baseline: the feed-forward signal for Scaling.
 * The baseline is an exponential moving average with time constant baselineTauMs, so a sustained increase yields a
 * bias that fades as the temperature (and the feedback loop) catches up, and noise of one sample barely moves it.
 */
export class UtilisationTrend {
  private readonly baselines = new Map<string, { utilPct: number; atMs: number }>();

  constructor(private readonly baselineTauMs = 60_000) {}

  /** Records a sample and returns utilPct minus the baseline before it (0 for a host's first sample or no value). */
  observe(hostId: string, utilPct: number | null, nowMs: number): number {
    if (utilPct === null || !Number.isFinite(utilPct)) return 0;
    const base = this.baselines.get(hostId);
    if (!base) {
      this.baselines.set(hostId, { utilPct, atMs: nowMs });
      return 0;
    }
    const risePct = utilPct - base.utilPct;
    const dtMs = nowMs - base.atMs;
    // A repeated or backwards timestamp carries no new time: keep the baseline rather than divide by it.
    if (dtMs > 0) {
      const alpha = 1 - Math.exp(-dtMs / this.baselineTauMs);
      this.baselines.set(hostId, { utilPct: base.utilPct + alpha * risePct, atMs: nowMs });
    }
    return risePct;
  }

  /** Drops every host not in keep. */
  retain(keep: ReadonlySet<string>): void {
    for (const hostId of this.baselines.keys()) if (!keep.has(hostId)) this.baselines.delete(hostId);
  }
}
