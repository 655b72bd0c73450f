/**
 * Inbound session sequence numbers (IPMI v2.0 section 6.12.13): a packet is accepted once, and only when its
 * number lies within a window around the highest seen, so a captured packet cannot be replayed later.
 */
const WINDOW = 16;

export class SequenceWindow {
  private highest: number | undefined;
  private readonly seen = new Set<number>();

  /** Tells the window the first number to expect (v1.5 Activate Session hands it to the console). */
  expect(firstSeq: number): void {
    this.highest = (firstSeq - 1) >>> 0;
    this.seen.clear();
  }

  /** True (and remembered) when seq is new and in the window; zero is never valid in an active session. */
  accept(seq: number): boolean {
    if (seq === 0) return false;
    if (this.highest === undefined) {
      this.remember(seq);
      return true;
    }
    const ahead = (seq - this.highest) >>> 0;
    const behind = (this.highest - seq) >>> 0;
    if (ahead > 0 && ahead <= WINDOW) {
      this.remember(seq);
      return true;
    }
    if (behind > 0 && behind < WINDOW && !this.seen.has(seq)) {
      this.seen.add(seq);
      return true;
    }
    return false;
  }

  private remember(seq: number): void {
    this.highest = seq;
    this.seen.add(seq);
    for (const old of this.seen) if (((seq - old) >>> 0) >= WINDOW) this.seen.delete(old);
  }
}
