/**
 * Per-host command seq that stays monotonic across controller restarts without a store: seq = max(last + 1, nowMs).
 * An agent accepts a command only if its seq is above every seq it accepted this boot, and it outlives controller
 * restarts; a controller that restarted counting from 0 would be refused until the agent rebooted. Epoch ms after a
 * restart are above any seq the earlier instance issued: its seqs ran ahead of its clock only by the commands issued
 * to one host within a single ms, and a restart takes far longer, given a clock that does not step backwards across
 * the restart. Where that cannot be
 * assumed (a partition handed to another controller with a skewed clock, an NTP step back), persist lastSeq in the
 * store and seed it, and/or feed the cmdSeq the agent reports in telemetry to observe().
 */
export class CommandSeq {
  private readonly lastByHost = new Map<string, number>();

  constructor(seed?: Iterable<readonly [string, number]>) {
    for (const [hostId, seq] of seed ?? []) this.observe(hostId, seq);
  }

  /** Allocates the next seq for a host. */
  next(hostId: string, nowMs: number): number {
    const last = this.lastByHost.get(hostId);
    const clockSeq = Number.isFinite(nowMs) ? Math.max(0, Math.floor(nowMs)) : 0;
    const seq = last === undefined ? clockSeq : Math.max(last + 1, clockSeq);
    this.lastByHost.set(hostId, seq);
    return seq;
  }

  /** Raises a host's last seq to at least seq (from the store, or the cmdSeq an agent reports); never lowers it. */
  observe(hostId: string, seq: number): void {
    if (!Number.isSafeInteger(seq) || seq < 0) return;
    const last = this.lastByHost.get(hostId);
    if (last === undefined || seq > last) this.lastByHost.set(hostId, seq);
  }

  last(hostId: string): number | undefined {
    return this.lastByHost.get(hostId);
  }

  /** Every host's last seq, for the store to persist. */
  snapshot(): Map<string, number> {
    return new Map(this.lastByHost);
  }
}
