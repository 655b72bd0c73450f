import { describe, expect, it } from "vitest";
import { envelopeScenarios, envelopeWorkload, profileMaxDiskMBps } from "../../bench/closed-loop/envelope-scenarios.js";
import { simSplit } from "../../bench/closed-loop/training-data.js";

const DURATION_S = 3600;

const least = (xs: readonly number[]): number => xs.reduce((a, b) => Math.min(a, b), Infinity);
const most = (xs: readonly number[]): number => xs.reduce((a, b) => Math.max(a, b), -Infinity);

function series(seed: number, maxDiskMBps = 800): { util: number[]; disk: number[]; inlet: number[] } {
  const w = envelopeWorkload(seed, DURATION_S, maxDiskMBps);
  const out = { util: [] as number[], disk: [] as number[], inlet: [] as number[] };
  for (let t = 0; t <= DURATION_S; t++) {
    const p = w.at(t);
    out.util.push(p.cpuUtil);
    out.disk.push(p.diskMBps);
    out.inlet.push(p.inletC);
  }
  return out;
}

describe("operating-envelope exploration workloads", () => {
  it("stay inside the envelope: utilisation 0..1, disk up to the drives' maximum, inlet 15..35 °C moving at most 20 °C/h", () => {
    for (let seed = 1; seed <= 40; seed++) {
      const s = series(seed, 800);
      expect(least(s.util)).toBeGreaterThanOrEqual(0);
      expect(most(s.util)).toBeLessThanOrEqual(1);
      expect(least(s.disk)).toBeGreaterThanOrEqual(0);
      expect(most(s.disk)).toBeLessThanOrEqual(800);
      expect(least(s.inlet)).toBeGreaterThanOrEqual(15);
      expect(most(s.inlet)).toBeLessThanOrEqual(35);
      const fastestCPerH = most(s.inlet.slice(1).map((c, i) => Math.abs(c - (s.inlet[i] ?? c)) * 3600));
      expect(fastestCPerH).toBeLessThanOrEqual(20 + 1e-6);
    }
  });

  it("cover the range across hosts: idle and full load, quiet and saturated drives, cool and hot rooms, steps and slow ramps", () => {
    const all = Array.from({ length: 40 }, (_, k) => series(k + 1, 800));
    const util = all.flatMap((s) => s.util);
    const disk = all.flatMap((s) => s.disk);
    const inlet = all.flatMap((s) => s.inlet);
    expect(least(util)).toBeLessThan(0.05);
    expect(most(util)).toBeGreaterThan(0.95);
    expect(disk.filter((d) => d <= 6).length / disk.length).toBeGreaterThan(0.2);
    expect(most(disk)).toBeGreaterThan(700);
    expect(least(inlet)).toBeLessThan(20);
    expect(most(inlet)).toBeGreaterThan(32);
    // Steps (a jump of over 0.3 in one second) and ramps (0.3 or more covered over a minute in small moves) both occur.
    const smooth = (s: number[], t: number): boolean => s.slice(t - 60, t).every((u, i) => Math.abs(u - (s[t - 60 + i + 1] ?? u)) < 0.05);
    let steps = 0;
    let ramps = 0;
    for (const s of all.map((x) => x.util)) {
      for (let t = 61; t < s.length; t++) {
        if (Math.abs((s[t] ?? 0) - (s[t - 1] ?? 0)) > 0.3) steps++;
        if (t % 60 === 0 && Math.abs((s[t] ?? 0) - (s[t - 60] ?? 0)) >= 0.3 && smooth(s, t)) ramps++;
      }
    }
    expect(steps).toBeGreaterThan(20);
    expect(ramps).toBeGreaterThan(5);
  });

  it("is the same workload for the same seed and another for another seed", () => {
    expect(series(7)).toEqual(series(7));
    expect(series(7).util).not.toEqual(series(8).util);
  });

  it("takes the disk maximum from the machine's profile and gives each host its own workload", () => {
    expect(profileMaxDiskMBps("poweredge-r740-air")).toBe(800);
    const [run] = envelopeScenarios(1, 600, "poweredge-r740-air");
    if (!run) throw new Error("no run");
    expect(run.scenario.forHost(0, 5).workload.at(300)).not.toEqual(run.scenario.forHost(1, 5).workload.at(300));
    expect(run.scenario.forHost(0, 5).workload.at(300)).toEqual(run.scenario.forHost(0, 5).workload.at(300));
  });

  it("joins the simulated training split (twelve runs unless told otherwise), as training data only", () => {
    const byDefault = simSplit({ hosts: 1, seed: 3, durationS: 200, speedVariants: false });
    expect(new Set(byDefault.train.map((s) => s.source).filter((s) => s.startsWith("sim:envelope"))).size).toBe(12);
    const data = simSplit({ hosts: 1, seed: 3, durationS: 200, speedVariants: false, envelopeRuns: 2 });
    const envelopeSources = data.train.map((s) => s.source).filter((s) => s.startsWith("sim:envelope"));
    expect(new Set(envelopeSources)).toEqual(new Set(["sim:envelope 1", "sim:envelope 2"]));
    expect([...data.validation, ...data.heldOut].some((s) => s.source.includes("envelope"))).toBe(false);
    expect(data.trainedOn).toContain("2 envelope runs");
    const without = simSplit({ hosts: 1, seed: 3, durationS: 200, speedVariants: false, envelopeRuns: 0 });
    expect(without.train.some((s) => s.source.includes("envelope"))).toBe(false);
  });
});
