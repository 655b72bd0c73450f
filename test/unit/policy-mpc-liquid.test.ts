import { describe, expect, it } from "vitest";
import { OUTPUTS } from "../../src/controller/model/feature-spec.js";
import { LIQUID_LAYOUT, LIQUID_OUTPUTS } from "../../src/controller/model/model-layout.js";
import { ENERGY_OBJECTIVE } from "../../src/controller/planner/objective.js";
import { chooseFanPct, limitAtC, pumpPowerW, type ChoiceTuning } from "../../src/controller/planner/policy-mpc-choice.js";
import { candidateGrid, MPC_DEFAULT_ENERGY, MpcPolicy, pairGrid, type MpcPolicyOptions, type ThermalPredictor } from "../../src/controller/planner/policy-mpc.js";
import type { HostView } from "../../src/controller/types.js";
import { cpuTemp, fanCapabilities, hostView, inletTemp } from "../helpers/host-view.js";

const N_OUT = LIQUID_OUTPUTS.length;
const CPU = [10, 30, 60].map((h) => OUTPUTS.indexOf(`cpuIn${h}C` as (typeof OUTPUTS)[number]));
const DRIVE = [60, 300].map((h) => OUTPUTS.indexOf(`driveIn${h}C` as (typeof OUTPUTS)[number]));
const COOLANT = LIQUID_OUTPUTS.indexOf("coolantIn60C");

/**
 * A made-up liquid-cooled plant: the CPU heads for (cpuRise − pumpSlope·pump) above now, reached by 60 s; the
 * coolant warms by (coolantRise − 0.05·pump); the drives follow the fans only (drive60 = driveRise − 0.2·fan).
 */
class FakeLiquidModel implements ThermalPredictor {
  readonly layout = LIQUID_LAYOUT;
  calls = 0;
  constructor(
    public cpuRiseC = 30,
    public pumpSlopeCPerPct = 0.4,
    public coolantRiseC = 4,
    public driveRiseC = 6,
  ) {}

  predictGrid(state: Float32Array, load: Float32Array, fans: readonly number[], pumps?: readonly number[]): Float32Array {
    this.calls++;
    if (!pumps || pumps.length !== fans.length) throw new Error("a liquid model needs a pump level per candidate");
    expect(state.length % LIQUID_LAYOUT.state.length).toBe(0);
    const hosts = load.length / 4;
    const out = new Float32Array(hosts * fans.length * N_OUT);
    for (let i = 0; i < hosts; i++) {
      fans.forEach((fan, k) => {
        const pump = pumps[k] ?? 0;
        const base = (i * fans.length + k) * N_OUT;
        [10, 30, 60].forEach((h, j) => (out[base + (CPU[j] ?? 0)] = ((this.cpuRiseC - this.pumpSlopeCPerPct * pump) * h) / 60));
        DRIVE.forEach((o) => (out[base + o] = this.driveRiseC - 0.2 * fan));
        out[base + COOLANT] = this.coolantRiseC - 0.05 * pump;
      });
    }
    return out;
  }
}

const TUNING: ChoiceTuning = { energy: MPC_DEFAULT_ENERGY, smoothnessWPerPct: 0.05, switchThresholdW: 1, holdRounds: 1, holdReversalsOnly: false, holdToleranceC: 0.5, cpuConstrainFromS: 10, infeasibleSlackC: 0 };

function liquidView(hostId: string, cpuC: number, coolantC: number): HostView {
  return hostView({
    hostId,
    capabilities: { fans: { channels: 6, tier: "full", minPct: 15, maxPct: 100 }, pump: { channels: 1, tier: "full", minPct: 30, maxPct: 100 }, maxLeaseMs: 30_000 },
    temperatures: [
      cpuTemp(cpuC),
      inletTemp(25),
      { id: "nvme0", role: "drive", tempC: 50, quality: "ok", targetC: 62, criticalC: 70, required: false },
      { id: "coolant", role: "coolant", tempC: coolantC, quality: "ok", targetC: 45, criticalC: 55, required: false },
    ],
    fanPct: 40,
    pumpPct: 60,
    cpuUtilPct: 70,
    diskMBps: 5,
    powerW: 450,
  });
}

function airView(hostId: string, cpuC: number): HostView {
  const v = liquidView(hostId, cpuC, Number.NaN);
  return { ...v, capabilities: fanCapabilities(20, 100), temperatures: v.temperatures.filter((t) => t.role !== "coolant"), pumpPct: undefined };
}

describe("MPC on liquid-cooled hosts: fan × pump candidates", () => {
  it("never picks a fan and pump pair predicted to break a CPU, drive or coolant limit while a pair that keeps them exists", () => {
    const grid = pairGrid(candidateGrid(15, 100, 5), candidateGrid(30, 100, 10));
    const model = new FakeLiquidModel();
    let checked = 0;
    let infeasible = 0;
    for (let cpuNowC = 60; cpuNowC <= 100; cpuNowC += 1.3) {
      for (const coolantNowC of [35, 41, 44.5]) {
        for (const slope of [0.15, 0.3, 0.5]) {
          model.pumpSlopeCPerPct = slope;
          const predictions = model.predictGrid(new Float32Array(LIQUID_LAYOUT.state.length), new Float32Array(4), grid.candidates, grid.pumps);
          const host = { cpuNowC, driveNowC: 50, cpuLimitC: 88.5, driveLimitC: 61, previousPct: undefined, minPct: 15, maxPct: 100, pumpMinPct: 30, pumpMaxPct: 100, coolantNowC, coolantLimitC: 44 };
          const choice = chooseFanPct(grid.candidates, predictions, 0, host, TUNING, grid.pumps, N_OUT);
          const violation = (k: number): number => {
            const base = k * N_OUT;
            let v = -Infinity;
            [10, 30, 60].forEach((h, j) => (v = Math.max(v, cpuNowC + (predictions[base + (CPU[j] ?? 0)] ?? 0) - limitAtC(88.5, cpuNowC, h, 60))));
            [60, 300].forEach((h, j) => (v = Math.max(v, 50 + (predictions[base + (DRIVE[j] ?? 0)] ?? 0) - limitAtC(61, 50, h, 300))));
            return Math.max(v, coolantNowC + (predictions[base + COOLANT] ?? 0) - limitAtC(44, coolantNowC, 60, 60));
          };
          const anyFeasible = grid.candidates.some((_, k) => violation(k) <= 1e-9);
          expect(choice.pumpPct).toBeDefined();
          expect(choice.feasible).toBe(anyFeasible);
          if (anyFeasible) expect(violation(choice.index)).toBeLessThanOrEqual(1e-9);
          else infeasible++;
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(80);
    // The sweep reaches hosts that no pair can hold as well as ones that many can.
    expect(infeasible).toBeGreaterThan(0);
    expect(infeasible).toBeLessThan(checked);
  });

  it("pays pump watts: the cheapest pair that keeps the limits, fans as low as the drives allow", () => {
    const grid = pairGrid(candidateGrid(15, 100, 5), candidateGrid(30, 100, 10));
    const predictions = new FakeLiquidModel(30, 0.4).predictGrid(new Float32Array(LIQUID_LAYOUT.state.length), new Float32Array(4), grid.candidates, grid.pumps);
    const host = { cpuNowC: 70, driveNowC: 50, cpuLimitC: 88.5, driveLimitC: 61, previousPct: undefined, minPct: 15, maxPct: 100, pumpMinPct: 30, pumpMaxPct: 100, coolantNowC: 40, coolantLimitC: 44 };
    const noLeakage = { ...TUNING, energy: { ...MPC_DEFAULT_ENERGY, leakageAt85W: 0 } };
    const choice = chooseFanPct(grid.candidates, predictions, 0, host, noLeakage, grid.pumps, N_OUT);
    // CPU: 30 − 0.4·pump ≤ 18.5 → pump ≥ 28.75 → 30 %; drives: 6 − 0.2·fan ≤ 11 → any fan; coolant 4 − 0.05·pump ≤ 4 → any.
    expect(choice).toMatchObject({ fanPct: 15, pumpPct: 30, feasible: true });
    expect(pumpPowerW(MPC_DEFAULT_ENERGY, 30)).toBeCloseTo(18 * 0.027, 9);
    // A hot coolant asks for more pump: 4 − 0.05·pump ≤ 44 − 42.5 → pump ≥ 50.
    const warmLoop = chooseFanPct(grid.candidates, predictions, 0, { ...host, coolantNowC: 42.5 }, noLeakage, grid.pumps, N_OUT);
    expect(warmLoop).toMatchObject({ fanPct: 15, pumpPct: 50, feasible: true });
    // Pumps listed from fast to slow: only the pump's own watts make the slow pump the cheaper pair.
    const downward = pairGrid(candidateGrid(15, 100, 5), candidateGrid(30, 100, 10).reverse());
    const downPredictions = new FakeLiquidModel(30, 0.4).predictGrid(new Float32Array(LIQUID_LAYOUT.state.length), new Float32Array(4), downward.candidates, downward.pumps);
    expect(chooseFanPct(downward.candidates, downPredictions, 0, host, noLeakage, downward.pumps, N_OUT)).toMatchObject({ fanPct: 15, pumpPct: 30 });
  });

  it("lets a coolant limit no pair can meet (warm facility water) not steer the choice, and meets it when a pair can", () => {
    const grid = pairGrid(candidateGrid(15, 100, 5), candidateGrid(30, 100, 10));
    const model = new FakeLiquidModel(30, 0.4, 4);
    const predictions = model.predictGrid(new Float32Array(LIQUID_LAYOUT.state.length), new Float32Array(4), grid.candidates, grid.pumps);
    // Fans do nothing for the coolant in the plant, but a model's noise says they do, a little.
    grid.candidates.forEach((fan, k) => (predictions[k * N_OUT + COOLANT] = (predictions[k * N_OUT + COOLANT] ?? 0) - 0.001 * fan));
    const host = { cpuNowC: 70, driveNowC: 50, cpuLimitC: 88.5, driveLimitC: 61, previousPct: undefined, minPct: 15, maxPct: 100, pumpMinPct: 30, pumpMaxPct: 100 };
    const withoutCoolant = chooseFanPct(grid.candidates, predictions, 0, host, TUNING, grid.pumps, N_OUT);
    // 48 °C in the loop against a 44 °C limit: the best pair still predicts 48 + 4 − 5 − 0.1 > 44.
    const warmWater = chooseFanPct(grid.candidates, predictions, 0, { ...host, coolantNowC: 48, coolantLimitC: 44 }, TUNING, grid.pumps, N_OUT);
    expect(warmWater).toMatchObject({ fanPct: withoutCoolant.fanPct, pumpPct: withoutCoolant.pumpPct, feasible: true });
    expect(warmWater.fanPct).toBeLessThan(100);
    // Within reach (41.5 °C now: pump ≥ 50 % keeps it), the limit binds again.
    const reachable = chooseFanPct(grid.candidates, predictions, 0, { ...host, coolantNowC: 41.5, coolantLimitC: 44 }, TUNING, grid.pumps, N_OUT);
    expect(reachable.pumpPct).toBeGreaterThanOrEqual(50);
    expect(41.5 + (predictions[reachable.index * N_OUT + COOLANT] ?? 0)).toBeLessThanOrEqual(44);
  });

  it("plans liquid hosts on the liquid model and air hosts on the air model, each with its own batched call", () => {
    const air = { layout: undefined, calls: 0, predictGrid(state: Float32Array, load: Float32Array, fans: readonly number[], pumps?: readonly number[]) {
      this.calls++;
      expect(pumps).toBeUndefined();
      return new Float32Array((load.length / 4) * fans.length * OUTPUTS.length).fill(-5);
    } };
    const liquid = new FakeLiquidModel();
    const policy = new MpcPolicy(air, { planPeriodMs: 1000, liquidModel: liquid, holdRounds: 1, probationPredictions: 0 });
    let last = new Map<string, { fanPct?: number | undefined; pumpPct?: number | undefined }>();
    for (let r = 0; r < 70; r++) {
      const hosts = [airView("air-1", 70), liquidView("liq-1", 70, 38)];
      const out = policy.plan({ nowMs: r * 1000, hosts, objectives: new Map(hosts.map((h) => [h.hostId, ENERGY_OBJECTIVE])) });
      last = new Map(out.map((p) => [p.hostId, p.setpoints]));
    }
    expect(policy.fallbackOf("air-1")).toBeUndefined();
    expect(policy.fallbackOf("liq-1")).toBeUndefined();
    // Past the warm-up minute each model is called once per round.
    expect(liquid.calls).toBe(air.calls);
    expect(liquid.calls).toBeGreaterThan(0);
    expect(last.get("liq-1")?.pumpPct).toBeDefined();
    expect(last.get("air-1")?.pumpPct).toBeUndefined();
  });

  it("weighs leakage on liquid-cooled hosts with their own weight, not the air-cooled hosts'", () => {
    // From 80 °C the CPU heads for 80 + 30 − 0.4·pump: a faster pump buys a cooler, less leaky die for pump watts.
    const pumpAfter = (options: Partial<MpcPolicyOptions>): number | undefined => {
      const policy = new MpcPolicy(undefined, { planPeriodMs: 1000, liquidModel: new FakeLiquidModel(), holdRounds: 1, probationPredictions: 0, ...options });
      let pumpPct: number | undefined;
      for (let r = 0; r < 70; r++) {
        const hosts = [liquidView("liq-1", 80, 38)];
        pumpPct = policy.plan({ nowMs: r * 1000, hosts, objectives: new Map([["liq-1", ENERGY_OBJECTIVE]]) })[0]?.setpoints.pumpPct;
      }
      return pumpPct;
    };
    const physical = pumpAfter({});
    expect(pumpAfter({ energy: { leakageWeight: 10 } })).toBe(physical);
    expect(pumpAfter({ liquidLeakageWeight: 10 })).toBeGreaterThan(physical ?? 100);
  });

  it("without a liquid model plans liquid hosts with the fallback (cold start) and says so once, while air hosts stay on the model", () => {
    const lines: string[] = [];
    const air = { predictGrid: (_s: Float32Array, load: Float32Array, fans: readonly number[]) => new Float32Array((load.length / 4) * fans.length * OUTPUTS.length) };
    const policy = new MpcPolicy(air, { planPeriodMs: 1000, probationPredictions: 0, log: (l) => lines.push(l) });
    for (let r = 0; r < 65; r++) {
      const hosts = [airView("air-1", 70), liquidView("liq-1", 70, 38)];
      const out = policy.plan({ nowMs: r * 1000, hosts, objectives: new Map(hosts.map((h) => [h.hostId, ENERGY_OBJECTIVE])) });
      expect(out.find((p) => p.hostId === "liq-1")?.setpoints.pumpPct).toBeDefined();
    }
    expect(policy.fallbackOf("liq-1")).toBe("cold-start");
    expect(policy.fallbackOf("air-1")).toBeUndefined();
    expect(lines.filter((l) => l.includes("liquid-cooled hosts"))).toHaveLength(1);
  });

  it("refuses a model of the wrong kind in either place", () => {
    expect(() => new MpcPolicy(new FakeLiquidModel(), { planPeriodMs: 1000 })).toThrow(/air-cooled/);
    expect(() => new MpcPolicy(undefined, { planPeriodMs: 1000, liquidModel: { predictGrid: () => new Float32Array() } })).toThrow(/liquid-cooled/);
  });
});
