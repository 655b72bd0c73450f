/**
 * The set of acknowledged record ids as sorted, disjoint, inclusive ranges. Live messages are acknowledged while
 * older backlog still waits, so the set has holes; it stays small because both streams are acknowledged in order.
 */
export class AckRanges {
  private ranges: [number, number][] = [];

  constructor(ranges: readonly (readonly [number, number])[] = []) {
    for (const [from, to] of ranges) if (Number.isSafeInteger(from) && Number.isSafeInteger(to) && from <= to) this.addRange(from, to);
  }

  has(id: number): boolean {
    const index = this.indexAtOrBefore(id);
    return index >= 0 && id <= this.ranges[index]![1];
  }

  add(id: number): void {
    const last = this.ranges.at(-1);
    // The common case, acknowledgements in order: extend the newest range in place.
    if (last && id === last[1] + 1) last[1] = id;
    else if (!last || id > last[1]) this.ranges.push([id, id]);
    else this.addRange(id, id);
  }

  /** How many ids in [from, to] are acknowledged. */
  countIn(from: number, to: number): number {
    let count = 0;
    for (const [a, b] of this.ranges) {
      if (b < from) continue;
      if (a > to) break;
      count += Math.min(b, to) - Math.max(a, from) + 1;
    }
    return count;
  }

  /** Forgets every id below minId (their records are gone). */
  forgetBelow(minId: number): void {
    this.ranges = this.ranges.filter(([, b]) => b >= minId).map(([a, b]) => [Math.max(a, minId), b]);
  }

  /** The highest acknowledged id, or 0. */
  maxId(): number {
    return this.ranges.at(-1)?.[1] ?? 0;
  }

  toJSON(): [number, number][] {
    return this.ranges.map(([a, b]) => [a, b]);
  }

  private addRange(from: number, to: number): void {
    let start = from;
    let end = to;
    const kept: [number, number][] = [];
    let inserted = false;
    for (const [a, b] of this.ranges) {
      if (b < start - 1) {
        kept.push([a, b]);
      } else if (a > end + 1) {
        if (!inserted) {
          kept.push([start, end]);
          inserted = true;
        }
        kept.push([a, b]);
      } else {
        start = Math.min(start, a);
        end = Math.max(end, b);
      }
    }
    if (!inserted) kept.push([start, end]);
    this.ranges = kept;
  }

  /** Index of the last range starting at or before id, or -1. */
  private indexAtOrBefore(id: number): number {
    let lo = 0;
    let hi = this.ranges.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.ranges[mid]![0] <= id) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}
