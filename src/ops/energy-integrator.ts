/** Samples further apart than this are not integrated: an outage must not be filled in with a guessed power. */
export const MAX_ENERGY_GAP_MS = 30_000;

interface LastSample {
  boot: string;
  tsMs: number;
  powerW: number;
}

/**
 * Integrates each host's reported power over its own telemetry timestamps (trapezoids), for an energy counter
 * that does not depend on when or how often Prometheus scrapes. A sample older than the last one (a late
 * redelivery), a new boot, or a gap over MAX_ENERGY_GAP_MS adds nothing; the next interval starts from it.
 */
export class EnergyIntegrator {
  private readonly last = new Map<string, LastSample>();

  constructor(private readonly maxGapMs = MAX_ENERGY_GAP_MS) {}

  /** Adds one sample; returns the joules it contributed (0 for the first sample of a host or boot). */
  add(hostId: string, boot: string, tsMs: number, powerW: number | null): number {
    if (powerW === null || !Number.isFinite(powerW) || powerW < 0) return 0;
    const previous = this.last.get(hostId);
    if (previous && previous.boot === boot && tsMs <= previous.tsMs) return 0;
    this.last.set(hostId, { boot, tsMs, powerW });
    if (!previous || previous.boot !== boot) return 0;
    const dtMs = tsMs - previous.tsMs;
    if (dtMs > this.maxGapMs) return 0;
    return ((previous.powerW + powerW) / 2) * (dtMs / 1000);
  }
}
