/** Time source injected everywhere time matters, so tests advance time instead of sleeping. */
export interface Clock {
  nowMs(): number;
  setTimeout(callback: () => void, delayMs: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

export interface TimerHandle {
  readonly id: number;
}

export class SystemClock implements Clock {
  private readonly timers = new Map<number, NodeJS.Timeout>();
  private nextId = 1;

  nowMs(): number {
    return Date.now();
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    const timer = setTimeout(() => {
      this.timers.delete(id);
      callback();
    }, delayMs);
    this.timers.set(id, timer);
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    const timer = this.timers.get(handle.id);
    if (timer) clearTimeout(timer);
    this.timers.delete(handle.id);
  }
}

interface PendingTimer {
  id: number;
  dueMs: number;
  callback: () => void;
}

/** A clock that only moves when told to. Timers fire in due order during advance(). */
export class ManualClock implements Clock {
  private currentMs: number;
  private pending: PendingTimer[] = [];
  private nextId = 1;

  constructor(startMs = 1_700_000_000_000) {
    this.currentMs = startMs;
  }

  nowMs(): number {
    return this.currentMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.pending.push({ id, dueMs: this.currentMs + Math.max(0, delayMs), callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending = this.pending.filter((t) => t.id !== handle.id);
  }

  /** Moves time forward by stepMs, firing every timer that falls due on the way. */
  advance(stepMs: number): void {
    const targetMs = this.currentMs + stepMs;
    for (;;) {
      const next = this.nextDue(targetMs);
      if (!next) break;
      this.pending = this.pending.filter((t) => t.id !== next.id);
      this.currentMs = next.dueMs;
      next.callback();
    }
    this.currentMs = targetMs;
  }

  /** Jumps the wall clock without firing timers, as an NTP step would. */
  jump(deltaMs: number): void {
    this.currentMs += deltaMs;
  }

  private nextDue(limitMs: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.pending) {
      if (t.dueMs <= limitMs && (!best || t.dueMs < best.dueMs)) best = t;
    }
    return best;
  }
}
