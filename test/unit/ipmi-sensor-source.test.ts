import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/logger.js";
import { IpmiSensorSource, type IpmiCommandRunner, type IpmitoolOutcome } from "../../src/hardware/ipmi/index.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "ipmitool");
const fixture = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

/** Answers `sdr type temperature|fan` with whatever the test puts in `listings`; records each call. */
class SdrRunner implements IpmiCommandRunner {
  calls = 0;
  reachable = true;
  listings: Record<string, string> = { temperature: fixture("13g-r730-temperature.txt"), fan: fixture("13g-r730-fan.txt") };
  private pending: (() => void)[] = [];
  hold = false;
  /** Real time each answer takes. */
  delayMs = 0;

  async run(command: readonly string[]): Promise<IpmitoolOutcome> {
    this.calls++;
    if (this.hold) await new Promise<void>((resolve) => this.pending.push(resolve));
    if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
    if (!this.reachable) return { ok: false, failure: { kind: "no-session", message: "Error: Unable to establish IPMI v2 / RMCP+ session" }, stdout: "", stderr: "", durationMs: 1 };
    return { ok: true, stdout: this.listings[command[2] ?? ""] ?? "", stderr: "", durationMs: 1 };
  }

  release(): void {
    this.hold = false;
    for (const resolve of this.pending.splice(0)) resolve();
  }
}

describe("IpmiSensorSource", () => {
  it("start() resolves after the first round, so the first sweep has readings", async () => {
    const clock = new ManualClock();
    const runner = new SdrRunner();
    const source = new IpmiSensorSource({ runner, clock, sweepPeriodMs: 5_000 });
    expect(source.sweep(clock.nowMs())).toEqual([]);
    const report = await source.start();
    expect(report).toMatchObject({ ok: true, readings: 12, errors: [], garbageLines: 0, startedAtMs: clock.nowMs() });
    expect(report.durationMs).toBeGreaterThanOrEqual(0);
    const readings = source.sweep(clock.nowMs());
    expect(readings).toHaveLength(12);
    expect(readings.find((r) => r.id === "ipmi:Temp@3.2")).toEqual({ id: "ipmi:Temp@3.2", kind: "temperature", unit: "C", value: 43, sampledAtMs: clock.nowMs() });
    expect(source.manifest().map((m) => m.id)).toContain("ipmi:Fan6 RPM");
    source.stop();
  });

  it("runs its own loop every sweepPeriodMs; sweep() only reads the cache", async () => {
    const clock = new ManualClock();
    const runner = new SdrRunner();
    const source = new IpmiSensorSource({ runner, clock, sweepPeriodMs: 5_000 });
    const t0 = clock.nowMs();
    await source.start();
    expect(runner.calls).toBe(2);
    for (let i = 0; i < 4; i++) source.sweep(clock.nowMs() + i * 1000); // the agent's 1 Hz path: no ipmitool
    expect(runner.calls).toBe(2);

    runner.listings.temperature = runner.listings.temperature?.replace("45 degrees C", "61 degrees C") ?? "";
    const next = source.nextSweep();
    clock.advance(5_000);
    const report = await next;
    expect(report.startedAtMs).toBe(t0 + 5_000);
    expect(runner.calls).toBe(4);
    expect(source.sweep(clock.nowMs()).find((r) => r.id === "ipmi:Temp@3.1")).toMatchObject({ value: 61, sampledAtMs: t0 + 5_000 });
    source.stop();
    clock.advance(60_000);
    expect(runner.calls).toBe(4);
  });

  it("a failed round keeps the old values with their old sample time (the agent sees them go stale)", async () => {
    const clock = new ManualClock();
    const runner = new SdrRunner();
    const source = new IpmiSensorSource({ runner, clock, sweepPeriodMs: 5_000 });
    const t0 = clock.nowMs();
    await source.start();
    runner.reachable = false;
    const next = source.nextSweep();
    clock.advance(5_000);
    const report = await next;
    expect(report.ok).toBe(false);
    expect(report.errors[0]).toMatch(/^sdr type temperature: no IPMI session/);
    const inlet = source.sweep(clock.nowMs()).find((r) => r.id === "ipmi:Inlet Temp");
    expect(inlet).toMatchObject({ value: 21, sampledAtMs: t0 });
    source.stop();
  });

  it("a sensor that leaves the listing stays, as null with the reason", async () => {
    const clock = new ManualClock();
    const runner = new SdrRunner();
    const source = new IpmiSensorSource({ runner, clock });
    await source.start();
    source.stop();
    runner.listings.fan = (runner.listings.fan ?? "").split("\n").filter((l) => !l.startsWith("Fan6 RPM")).join("\n");
    clock.advance(1_000);
    await source.refresh();
    const fan6 = source.sweep(clock.nowMs()).find((r) => r.id === "ipmi:Fan6 RPM");
    expect(fan6).toMatchObject({ value: null, error: "no longer in the BMC's sdr listing", sampledAtMs: clock.nowMs() });
    expect(source.sweep(clock.nowMs())).toHaveLength(12);
  });

  it("a round slower than the period starts the next at once, and rounds never overlap", async () => {
    const clock = new ManualClock();
    const runner = new SdrRunner();
    const source = new IpmiSensorSource({ runner, clock, sweepPeriodMs: 5_000 });
    await source.start();
    runner.hold = true;
    clock.advance(5_000); // round 2 starts and hangs in ipmitool
    expect(runner.calls).toBe(3);
    const joined = source.refresh(); // a manual refresh joins the round in flight
    clock.advance(20_000);
    expect(runner.calls).toBe(3);
    const next = source.nextSweep();
    runner.release();
    await joined;
    await next;
    expect(runner.calls).toBe(4);
    // Round 2 started at +5 s and ended at +25 s: round 3 is due immediately.
    const third = source.nextSweep();
    clock.advance(0);
    await third;
    expect(runner.calls).toBe(6);
    source.stop();
  });

  it("says when a round answers after the last one's readings went stale, and which staleAfterS would keep them fresh", async () => {
    const warnings: { fields: Record<string, unknown>; message: string }[] = [];
    const logger = { warn: (fields: Record<string, unknown>, message: string) => warnings.push({ fields, message }), info: () => undefined, debug: () => undefined } as unknown as Logger;
    const rounds = async (staleAfterMs: number): Promise<void> => {
      const clock = new ManualClock();
      const runner = new SdrRunner();
      const source = new IpmiSensorSource({ runner, clock, sweepPeriodMs: 1_000, staleAfterMs, logger });
      await source.refresh();
      runner.delayMs = 25; // two listings: the round takes at least 50 ms
      for (let i = 0; i < 3; i++) {
        clock.advance(1_000);
        await source.refresh();
      }
    };
    await rounds(2_000); // readings at most ~1 050 ms old: fresh
    expect(warnings).toEqual([]);
    await rounds(1_020); // older than 1 020 ms when each slow round answers
    expect(warnings).toHaveLength(1); // once, not every round
    expect(warnings[0]!.message).toContain("raise plausibility.staleAfterS above 2 s");
    expect(warnings[0]!.fields).toMatchObject({ staleAfterS: 1.02, sweepPeriodMs: 1_000 });
    expect(warnings[0]!.fields["readingsAgeMs"] as number).toBeGreaterThan(1_020);
  });
});
