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
  /** On the monotonic time line, as real timers are: a wall-clock step does not move them. */
  dueMonoMs: number;
  callback: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in due order during advance(). It keeps two time lines, as a
 * real machine does: the wall clock (nowMs) and a monotonic one that timers follow. jump() steps only the wall
 * clock, so a test can make the wall clock jump by an hour and still see every timer fire on time.
 */
export class ManualClock implements Clock {
  private wallMs: number;
  private monoMs: number;
  private pending: PendingTimer[] = [];
  private nextId = 1;

  constructor(startMs = 1_700_000_000_000) {
    this.wallMs = startMs;
    this.monoMs = startMs;
  }

  nowMs(): number {
    return this.wallMs;
  }

  /** The monotonic time line: startMs plus everything advance() moved, whatever jump() did to the wall clock. */
  monotonicMs(): number {
    return this.monoMs;
  }

  setTimeout(callback: () => void, delayMs: number): TimerHandle {
    const id = this.nextId++;
    this.pending.push({ id, dueMonoMs: this.monoMs + Math.max(0, delayMs), callback });
    return { id };
  }

  clearTimeout(handle: TimerHandle): void {
    this.pending = this.pending.filter((t) => t.id !== handle.id);
  }

  /** Moves time forward by stepMs (both time lines), firing every timer that falls due on the way. */
  advance(stepMs: number): void {
    const targetMs = this.monoMs + stepMs;
    for (;;) {
      const next = this.nextDue(targetMs);
      if (!next) break;
      this.pending = this.pending.filter((t) => t.id !== next.id);
      this.moveTo(next.dueMonoMs);
      next.callback();
    }
    this.moveTo(targetMs);
  }

  /** Steps the wall clock without touching timers or the monotonic time line, as an NTP step (or a bad RTC) would. */
  jump(deltaMs: number): void {
    this.wallMs += deltaMs;
  }

  private moveTo(monoMs: number): void {
    if (monoMs <= this.monoMs) return;
    this.wallMs += monoMs - this.monoMs;
    this.monoMs = monoMs;
  }

  private nextDue(limitMs: number): PendingTimer | undefined {
    let best: PendingTimer | undefined;
    for (const t of this.pending) {
      if (t.dueMonoMs <= limitMs && (!best || t.dueMonoMs < best.dueMonoMs)) best = t;
    }
    return best;
  }
}
