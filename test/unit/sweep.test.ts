import { Writable } from "node:stream";
import { pino } from "pino";
import { describe, expect, it } from "vitest";
import { SensorSweep } from "../../src/agent/sweep.js";
import type { RawReading, SensorSource } from "../../src/hardware/binding.js";

const T0 = 1_700_000_000_000;

function capturingLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const logger = pino({ level: "info" }, stream);
  return { logger, lines: () => chunks.join("").split("\n").filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

class FakeSource implements SensorSource {
  failWith: Error | undefined;
  constructor(
    readonly name: string,
    private readonly ids: string[],
  ) {}
  sweep(nowMs: number): RawReading[] {
    if (this.failWith) throw this.failWith;
    return this.ids.map((id, i) => ({ id, kind: "temperature", unit: "C", value: 40 + i, sampledAtMs: nowMs }));
  }
}

describe("SensorSweep", () => {
  it("concatenates every source's readings and measures the sweep", () => {
    const sweep = new SensorSweep([new FakeSource("a", ["a:1", "a:2"]), new FakeSource("b", ["b:1"])]);
    const { readings, durationMs } = sweep.run(T0);
    expect(readings.map((r) => [r.id, r.value, r.sampledAtMs])).toEqual([
      ["a:1", 40, T0],
      ["a:2", 41, T0],
      ["b:1", 40, T0],
    ]);
    expect(durationMs).toBeGreaterThanOrEqual(0);
  });

  it("reports a throwing source's sensors as missing, logs once per outage, and recovers", () => {
    const { logger, lines } = capturingLogger();
    const broken = new FakeSource("ipmi", ["ipmi:Inlet Temp", "ipmi:Exhaust Temp"]);
    const sweep = new SensorSweep([broken, new FakeSource("hwmon", ["nct6798:SYSTIN"])], logger);
    sweep.run(T0);

    broken.failWith = new Error("BMC unreachable");
    for (let i = 1; i <= 3; i++) {
      const { readings } = sweep.run(T0 + i * 1000);
      expect(readings).toEqual([
        { id: "ipmi:Inlet Temp", kind: "temperature", unit: "C", value: null, sampledAtMs: T0 + i * 1000, error: "ipmi failed: BMC unreachable" },
        { id: "ipmi:Exhaust Temp", kind: "temperature", unit: "C", value: null, sampledAtMs: T0 + i * 1000, error: "ipmi failed: BMC unreachable" },
        { id: "nct6798:SYSTIN", kind: "temperature", unit: "C", value: 40, sampledAtMs: T0 + i * 1000 },
      ]);
    }
    expect(lines().filter((l) => l.msg === "sensor source failed; its sensors are reported missing")).toHaveLength(1);

    broken.failWith = undefined;
    expect(sweep.run(T0 + 5000).readings[0]?.value).toBe(40);
    expect(lines().map((l) => l.msg)).toContain("sensor source recovered");
    broken.failWith = new Error("again");
    sweep.run(T0 + 6000);
    expect(lines().filter((l) => l.msg === "sensor source failed; its sensors are reported missing")).toHaveLength(2);
  });

  it("uses a source's manifest when it fails before delivering anything", () => {
    const source = Object.assign(new FakeSource("smc", []), {
      manifest: () => [{ id: "smc:TC0P", kind: "temperature" as const, unit: "C" as const }],
    });
    source.failWith = new Error("helper socket missing");
    expect(new SensorSweep([source]).run(T0).readings).toEqual([
      { id: "smc:TC0P", kind: "temperature", unit: "C", value: null, sampledAtMs: T0, error: "smc failed: helper socket missing" },
    ]);
  });
});
