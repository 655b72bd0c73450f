import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { Waitress } from "../../src/hardware/smc/index.js";

function waitress(clock = new ManualClock()) {
  return { clock, w: new Waitress<string>(clock, (id, what, ms) => new Error(`${what} (#${id}) timed out after ${ms} ms`)) };
}

describe("Waitress", () => {
  it("delivers a reply to the request with its id, whatever the order", async () => {
    const { w } = waitress();
    const a = w.wait(1, 1000, "a");
    const b = w.wait(2, 1000, "b");
    expect(w.resolve(2, "two")).toBe(true);
    expect(w.resolve(1, "one")).toBe(true);
    await expect(Promise.all([a, b])).resolves.toEqual(["one", "two"]);
    expect(w.pending).toBe(0);
  });

  it("times out on the injected clock, at the timeout and not before", async () => {
    const { w, clock } = waitress();
    const reply = w.wait(1, 1000, "readFans");
    let settled = false;
    reply.then(
      () => (settled = true),
      () => (settled = true),
    );
    clock.advance(999);
    await Promise.resolve();
    expect(settled).toBe(false);
    clock.advance(1);
    await expect(reply).rejects.toThrow("readFans (#1) timed out after 1000 ms");
    expect(w.pending).toBe(0);
  });

  it("drops a late reply rather than handing it to a later request", async () => {
    const { w, clock } = waitress();
    const first = w.wait(1, 100, "first");
    clock.advance(100);
    await expect(first).rejects.toThrow(/timed out/);
    const second = w.wait(2, 100, "second");
    expect(w.resolve(1, "late")).toBe(false);
    expect(w.resolve(2, "fresh")).toBe(true);
    await expect(second).resolves.toBe("fresh");
  });

  it("a reply cancels its timer; rejectAll fails everything pending", async () => {
    const { w, clock } = waitress();
    const answered = w.wait(1, 100, "a");
    w.resolve(1, "ok");
    clock.advance(1000);
    await expect(answered).resolves.toBe("ok");
    const p1 = w.wait(2, 100, "b");
    const p2 = w.wait(3, 100, "c");
    w.rejectAll(new Error("connection closed"));
    await expect(p1).rejects.toThrow("connection closed");
    await expect(p2).rejects.toThrow("connection closed");
    expect(w.pending).toBe(0);
  });

  it("refuses to wait twice on one id", async () => {
    const { w } = waitress();
    void w.wait(1, 100, "a").catch(() => undefined);
    await expect(w.wait(1, 100, "b")).rejects.toThrow(/already awaited/);
  });
});
