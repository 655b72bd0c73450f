/**
 * The most recent `capacity` keys seen, oldest evicted first. A cheap filter for QoS 1 redelivery in front of
 * the store's unique key: a duplicate that has left the window is still caught there.
 */
export class RecentKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`RecentKeys: capacity must be a positive integer, got ${capacity}`);
  }

  get size(): number {
    return this.keys.size;
  }

  has(key: string): boolean {
    return this.keys.has(key);
  }

  add(key: string): void {
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
  }
}

/** (host, boot, seq) as one string. Host ids hold no spaces and seq is digits, so the boot can be anything. */
export function telemetryKey(host: string, boot: string, seq: number): string {
  return `${host} ${seq} ${boot}`;
}
