/** The most recent latencies (a fixed-size ring), so percentiles follow current conditions and memory stays bounded. */
export class LatencyWindow {
  private readonly samplesMs: number[] = [];
  private next = 0;

  constructor(readonly capacity: number) {}

  add(latencyMs: number): void {
    if (this.samplesMs.length < this.capacity) {
      this.samplesMs.push(latencyMs);
    } else {
      this.samplesMs[this.next] = latencyMs;
    }
    this.next = (this.next + 1) % this.capacity;
  }

  get size(): number {
    return this.samplesMs.length;
  }

  /** Nearest-rank percentile (p in 0..100) over the window; undefined when it is empty. */
  percentileMs(p: number): number | undefined {
    if (this.samplesMs.length === 0) return undefined;
    const sorted = [...this.samplesMs].sort((a, b) => a - b);
    const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
    return sorted[rank - 1];
  }
}
