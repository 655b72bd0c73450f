import { describe, expect, it } from "vitest";
import { ActuatorWriter } from "../../src/agent/actuator-writer.js";
import { ManualClock } from "../../src/core/clock.js";
import type { CoolingActuator } from "../../src/hardware/binding.js";

/** An actuator whose writes finish only when the test says so, as an ipmitool call waiting out its time-out. */
class SlowBus implements CoolingActuator {
  readonly name = "slow";
  readonly channels = 1;
  readonly started: number[] = [];
  private pending: Array<{ resolve: () => void; reject: (err: Error) => void }> = [];
  takeControl(): Promise<void> {
    return Promise.resolve();
  }
  setPct(pct: number): Promise<void> {
    this.started.push(pct);
    return new Promise((resolve, reject) => this.pending.push({ resolve, reject }));
  }
  restore(): Promise<void> {
    return Promise.resolve();
  }
  finish(err?: Error): void {
    const next = this.pending.shift();
    if (err) next?.reject(err);
    else next?.resolve();
  }
}

const turns = async (n = 5): Promise<void> => {
  for (let i = 0; i < n; i++) await new Promise((r) => setImmediate(r));
};

describe("ActuatorWriter", () => {
  it("a write inside the budget is seen by its own period", async () => {
    const clock = new ManualClock(0);
    const written: number[] = [];
    const fast: CoolingActuator = { name: "fast", channels: 1, takeControl: () => Promise.resolve(), setPct: (p) => (written.push(p), Promise.resolve()), restore: () => Promise.resolve() };
    const writer = new ActuatorWriter(fast, clock, 1000);
    expect(await writer.write(40, 500)).toEqual({ writtenPct: 40, error: undefined });
    expect(written).toEqual([40]);
  });

  it("a slow write holds the period only for its budget; newer outputs coalesce; a hang becomes an error", async () => {
    const clock = new ManualClock(0);
    const bus = new SlowBus();
    const writer = new ActuatorWriter(bus, clock, 1000);

    let status = writer.write(40, 500);
    await turns();
    clock.advance(500);
    expect(await status).toEqual({ writtenPct: undefined, error: undefined });

    // Two more periods while the first write hangs: only the newest output is kept for later.
    for (const pct of [50, 60]) {
      status = writer.write(pct, 500);
      await turns();
      clock.advance(500);
      await status;
    }
    expect(bus.started).toEqual([40]);
    expect((await status).error?.message).toMatch(/^write pending for 1500 ms$/);

    bus.finish();
    await turns();
    expect(bus.started).toEqual([40, 60]);
    bus.finish();
    await turns();
    const next = writer.write(70, 500);
    bus.finish();
    expect(await next).toEqual({ writtenPct: 70, error: undefined });
    expect(bus.started).toEqual([40, 60, 70]);
  });

  it("reports a failed write until one succeeds, and settled() waits for the write in flight", async () => {
    const clock = new ManualClock(0);
    const bus = new SlowBus();
    const writer = new ActuatorWriter(bus, clock, 1000);
    const first = writer.write(40, 500);
    bus.finish(new Error("Unable to establish IPMI v2 / RMCP+ session"));
    expect((await first).error?.message).toBe("Unable to establish IPMI v2 / RMCP+ session");

    const second = writer.write(45, 500);
    await turns();
    let settled = false;
    const done = writer.settled().then(() => (settled = true));
    await turns();
    expect(settled).toBe(false);
    bus.finish();
    await done;
    expect(await second).toEqual({ writtenPct: 45, error: undefined });
  });
});
