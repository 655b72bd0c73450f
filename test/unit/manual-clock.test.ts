import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";

const T0 = 1_700_000_000_000;
const HOUR_MS = 3_600_000;

describe("ManualClock", () => {
  it("fires timers in due order during advance, with nowMs at each timer's due time", () => {
    const clock = new ManualClock(T0);
    const fired: [string, number][] = [];
    clock.setTimeout(() => fired.push(["b", clock.nowMs()]), 200);
    clock.setTimeout(() => fired.push(["a", clock.nowMs()]), 100);
    const c = clock.setTimeout(() => fired.push(["c", clock.nowMs()]), 150);
    clock.clearTimeout(c);
    clock.advance(250);
    expect(fired).toEqual([
      ["a", T0 + 100],
      ["b", T0 + 200],
    ]);
    expect(clock.nowMs()).toBe(T0 + 250);
  });

  it("jump() steps the wall clock only: a timer still fires after its delay of elapsed time", () => {
    for (const stepMs of [-HOUR_MS, HOUR_MS]) {
      const clock = new ManualClock(T0);
      let firedAt: number | undefined;
      clock.setTimeout(() => (firedAt = clock.nowMs()), 1_000);
      clock.jump(stepMs);
      expect(clock.nowMs()).toBe(T0 + stepMs);
      clock.advance(999);
      expect(firedAt).toBeUndefined();
      clock.advance(1);
      expect(firedAt).toBe(T0 + stepMs + 1_000);
      expect(clock.monotonicMs()).toBe(T0 + 1_000);
    }
  });

  it("a timer set after a jump is due on the monotonic time line", () => {
    const clock = new ManualClock(T0);
    clock.jump(-HOUR_MS);
    let fired = false;
    clock.setTimeout(() => (fired = true), 500);
    clock.advance(500);
    expect(fired).toBe(true);
    expect(clock.nowMs()).toBe(T0 - HOUR_MS + 500);
  });
});
