import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { SYSINFO_CPU_ID, SysinfoSensorSource, type SysinfoProbes } from "../../src/hardware/sysinfo-source.js";

describe("SysinfoSensorSource", () => {
  it("reads this machine's load through systeminformation and caches it with its sample time", async () => {
    const clock = new ManualClock();
    const source = new SysinfoSensorSource({ clock, pollMs: 5000 });
    await source.start();
    source.stop();
    const readings = new Map(source.sweep().map((r) => [r.id, r]));
    const load = readings.get("cpu:util")!;
    expect(load).toMatchObject({ kind: "load", unit: "pct", sampledAtMs: clock.nowMs() });
    expect(load.value).toBeGreaterThanOrEqual(0);
    expect(load.value).toBeLessThanOrEqual(100);
    // A container may have no CPU temperature sensor: then the reading is there, null, with the reason.
    const cpu = readings.get(SYSINFO_CPU_ID)!;
    expect(cpu.kind).toBe("temperature");
    expect(cpu.value === null ? cpu.error : cpu.value).toBeTruthy();
  });

  it("reports a missing or failing sensor as null with the reason, and keeps polling on the clock", async () => {
    const clock = new ManualClock();
    let calls = 0;
    const probes: SysinfoProbes = {
      cpuTemperature: () => (++calls === 1 ? Promise.resolve({ main: -1, max: null, cores: [] }) : Promise.reject(new Error("smc busy"))),
      currentLoad: () => Promise.resolve({ currentLoad: 42 }),
    };
    const source = new SysinfoSensorSource({ clock, pollMs: 1000, probes });
    await source.start();
    expect(source.sweep().find((r) => r.id === SYSINFO_CPU_ID)).toMatchObject({ value: null, error: "no CPU temperature sensor" });
    clock.advance(1000);
    await new Promise((r) => setImmediate(r));
    expect(calls).toBe(2);
    expect(source.sweep().find((r) => r.id === SYSINFO_CPU_ID)).toMatchObject({ value: null, error: "Error: smc busy" });
    expect(source.sweep().find((r) => r.id === "cpu:util")?.value).toBe(42);
    source.stop();
  });
});
