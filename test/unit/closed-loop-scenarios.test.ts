import { describe, expect, it } from "vitest";
import { benchScenario, BENCH_WORKLOADS, HELD_OUT_WORKLOADS, TRAINING_WORKLOADS } from "../../bench/closed-loop/scenarios.js";
import { generateTraceRows, traceCsv } from "../../bench/closed-loop/trace-generator.js";
import { parseTraceCsv } from "../../firmware-sim/workloads/index.js";

describe("benchmark workloads", () => {
  it("splits W1–W10 into training and held-out workloads without overlap", () => {
    expect(new Set([...TRAINING_WORKLOADS, ...HELD_OUT_WORKLOADS]).size).toBe(BENCH_WORKLOADS.length);
    expect(TRAINING_WORKLOADS.filter((w) => HELD_OUT_WORKLOADS.includes(w))).toEqual([]);
  });

  it("W8 ramps the inlet from 22 to 32 °C at 20 °C/h, then a cooling unit fails for a while", () => {
    const w = benchScenario("W8", 3600).forHost(0, 1).workload;
    expect(w.at(0).inletC).toBeCloseTo(22, 9);
    expect(w.at(900).inletC).toBeCloseTo(27, 9);
    expect(w.at(1800).inletC).toBeCloseTo(32, 9);
    expect(w.at(0.7 * 3600).inletC).toBeCloseTo(35, 9);
    expect(w.at(0.9 * 3600).inletC).toBeCloseTo(32, 9);
  });

  it("W9 kills a fan, halves the pump and drops a CPU sensor out for two minutes", () => {
    const faults = benchScenario("W9", 1000).forHost(0, 1).faults;
    expect(faults.map((f) => f.kind).sort()).toEqual(["fan-dead", "pump-degraded", "sensor-dropout"]);
    const dropout = faults.find((f) => f.kind === "sensor-dropout");
    expect(dropout && "untilS" in dropout ? dropout.untilS - dropout.atS : 0).toBe(120);
  });

  it("W5 and W6 replay the shipped traces from a different offset on each host", () => {
    for (const id of ["W5", "W6"] as const) {
      const s = benchScenario(id, 1200);
      const a = s.forHost(0, 1).workload;
      const b = s.forHost(1, 1).workload;
      const series = (w: typeof a) => Array.from({ length: 20 }, (_, i) => w.at(i * 60).cpuUtil);
      expect(series(a)).not.toEqual(series(b));
      expect(series(a)).toEqual(series(s.forHost(0, 1).workload));
      for (const u of series(a)) expect(u).toBeGreaterThanOrEqual(0);
    }
  });

  it("generates the same trace for a seed, and it parses as a simulator trace", () => {
    for (const style of ["alibaba2018", "google2019"] as const) {
      const rows = generateTraceRows(style, 7, 3600);
      expect(generateTraceRows(style, 7, 3600)).toEqual(rows);
      const trace = parseTraceCsv(traceCsv(rows, "test"), style);
      expect(trace.durationS).toBe(rows[rows.length - 1]?.tS);
      const mean = rows.reduce((a, r) => a + r.cpuUtil, 0) / rows.length;
      expect(mean).toBeGreaterThan(0.15);
      expect(mean).toBeLessThan(0.8);
    }
  });
});
