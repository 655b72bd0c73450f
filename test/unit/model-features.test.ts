import { describe, expect, it } from "vitest";
import { buildDataset, type HostSequence } from "../../src/controller/model/dataset.js";
import { HISTORY_PERIODS, N_CANDIDATE, N_OUTPUTS, N_STATE, OUTPUTS, STATE_FEATURES, writeStateFeatures } from "../../src/controller/model/feature-spec.js";
import { HostHistory } from "../../src/controller/model/host-history.js";
import type { ThermalSample } from "../../src/controller/model/thermal-sample.js";

const sample = (over: Partial<ThermalSample> = {}): ThermalSample => ({ cpuC: 60, driveC: 35, inletC: 25, utilPct: 50, diskMBps: 10, fanPct: 40, pumpPct: Number.NaN, ...over });

describe("host history", () => {
  it("holds the last values, oldest dropped, and fills a missing one with the last known", () => {
    const h = new HostHistory(3);
    h.push(sample({ cpuC: 1 }));
    h.push(sample({ cpuC: 2 }));
    h.push(sample({ cpuC: Number.NaN }));
    expect(h.at("cpuC", 0)).toBe(2);
    expect(h.gapPeriods).toBe(1);
    h.push(sample({ cpuC: 4 }));
    expect([h.at("cpuC", 0), h.at("cpuC", 1), h.at("cpuC", 2)]).toEqual([4, 2, 2]);
    expect(h.at("cpuC", 10)).toBe(2);
    expect(h.mean("cpuC", 0, 1)).toBe(3);
    expect(h.gapPeriods).toBe(0);
  });

  it("carries a missing reading forward for a minute at most: a sensor gone longer is missing, not stuck", () => {
    const h = new HostHistory(HISTORY_PERIODS);
    h.push(sample({ inletC: 24 }));
    for (let t = 1; t <= 60; t++) h.push(sample({ inletC: Number.NaN }));
    expect(h.at("inletC", 0)).toBe(24);
    h.push(sample({ inletC: Number.NaN }));
    expect(h.at("inletC", 0)).toBeNaN();
    expect(h.at("inletC", 1)).toBe(24);
    // Back: filled in again from the new reading on.
    h.push(sample({ inletC: 26 }));
    h.push(sample({ inletC: Number.NaN }));
    expect(h.at("inletC", 0)).toBe(26);
    // Other fields are counted apart.
    expect(h.at("cpuC", 0)).toBe(60);
  });

  it("gives the CPU as its level now and as deltas of window means, and the slow five-minute averages", () => {
    const h = new HostHistory(HISTORY_PERIODS);
    for (let t = 0; t < HISTORY_PERIODS; t++) h.push(sample({ cpuC: 40 + t }));
    const out = new Float32Array(N_STATE);
    writeStateFeatures(h, out, 0);
    const f = (name: (typeof STATE_FEATURES)[number]): number => out[STATE_FEATURES.indexOf(name)] ?? Number.NaN;
    expect(f("cpuNowC")).toBe(99);
    expect(f("cpuOverInletC")).toBe(74);
    expect(f("cpuDelta3to9C")).toBe(-5);
    expect(f("cpuDelta40to60C")).toBe(-49);
    expect(f("utilNowPct")).toBe(50);
    expect(f("fanSlowPct")).toBe(40);
  });
});

describe("thermal dataset", () => {
  it("makes one row per stride with full history and future; targets are changes from now, 3-period means", () => {
    const samples = Array.from({ length: 400 }, (_, t) => sample({ cpuC: 50 + 0.1 * t, driveC: 30, fanPct: t < 200 ? 30 : 60 }));
    const seq: HostSequence = { hostId: "h", source: "test", samples, cleanCpuC: samples.map((s) => s.cpuC) };
    const ds = buildDataset([seq], { stride: 10 });
    // t from 60 to 400 − 62 in steps of 10.
    expect(ds.size).toBe(28);
    expect(ds.state.length).toBe(ds.size * N_STATE);
    expect(ds.candidate.length).toBe(ds.size * N_CANDIDATE);
    const row = 0; // t = 60
    expect(ds.target[row * N_OUTPUTS + OUTPUTS.indexOf("cpuIn60C")]).toBeCloseTo(6.1, 4);
    expect(ds.target[row * N_OUTPUTS + OUTPUTS.indexOf("cpuIn10C")]).toBeCloseTo(1.1, 4);
    // The drive 300 s target needs 300 s of future: present early, masked late.
    expect(ds.mask[row * N_OUTPUTS + OUTPUTS.indexOf("driveIn300C")]).toBe(1);
    expect(ds.mask[(ds.size - 1) * N_OUTPUTS + OUTPUTS.indexOf("driveIn300C")]).toBe(0);
    // The fan mean over the next 300 s at t = 60 spans the step at 200.
    expect(ds.candidate[row * N_CANDIDATE + 3]).toBeCloseTo((139 * 30 + 161 * 60) / 300, 4);
    expect(ds.cleanCpuIn60C[row]).toBeCloseTo(50 + 12, 4);
  });
});
