import { describe, expect, it } from "vitest";
import { N_OUTPUTS, OUTPUTS } from "../../src/controller/model/feature-spec.js";
import { DEFAULT_OBJECTIVE_TUNING, ENERGY_OBJECTIVE, hostObjective, type HostObjective } from "../../src/controller/planner/objective.js";
import { chooseFanPct, leakageW, limitAtC, type ChoiceTuning } from "../../src/controller/planner/policy-mpc-choice.js";
import { candidateGrid, MPC_DEFAULT_ENERGY, MpcPolicy, type ThermalPredictor } from "../../src/controller/planner/policy-mpc.js";
import type { HostView } from "../../src/controller/types.js";
import { cpuTemp, hostView, inletTemp } from "../helpers/host-view.js";

const CPU = [OUTPUTS.indexOf("cpuIn10C"), OUTPUTS.indexOf("cpuIn30C"), OUTPUTS.indexOf("cpuIn60C")] as const;
const HORIZONS = [10, 30, 60] as const;

/**
 * A made-up plant for the MPC to plan on: the CPU reading heads for an equilibrium rise of (riseAt0 − slope·fan)
 * above where it is, reached linearly by 60 s. biasC shifts every prediction (a model that is simply wrong).
 */
class FakeModel implements ThermalPredictor {
  calls = 0;
  lastLoad: Float32Array = new Float32Array();
  /** Hosts in the batches so far, and how many state values among them were not finite. */
  hostsSeen = 0;
  nonFiniteStates = 0;
  constructor(
    public riseAt0C = 30,
    public slopeCPerPct = 0.4,
    public biasC = 0,
  ) {}

  predictGrid(state: Float32Array, load: Float32Array, candidates: readonly number[]): Float32Array {
    this.calls++;
    this.lastLoad = load;
    const hosts = load.length / 4;
    this.hostsSeen += hosts;
    this.nonFiniteStates += state.filter((v) => !Number.isFinite(v)).length;
    const out = new Float32Array(hosts * candidates.length * N_OUTPUTS);
    for (let i = 0; i < hosts; i++) {
      candidates.forEach((pct, k) => {
        const base = (i * candidates.length + k) * N_OUTPUTS;
        HORIZONS.forEach((h, j) => (out[base + (CPU[j] ?? 0)] = ((this.riseAt0C - this.slopeCPerPct * pct) * h) / 60 + this.biasC));
      });
    }
    return out;
  }
}

const TUNING: ChoiceTuning = { energy: MPC_DEFAULT_ENERGY, smoothnessWPerPct: 0.05, switchThresholdW: 1, holdRounds: 1, holdReversalsOnly: false, holdToleranceC: 0.5, cpuConstrainFromS: 10, infeasibleSlackC: 0 };

function view(hostId: string, cpuC: number, over: Partial<HostView> = {}): HostView {
  return hostView({ hostId, temperatures: [cpuTemp(cpuC), inletTemp(25)], cpuUtilPct: 60, diskMBps: 5, powerW: 400, ...over });
}

/** Runs `rounds` planning rounds one second apart; returns the last round's fan % per host. */
function run(policy: MpcPolicy, views: (round: number) => HostView[], rounds: number, objective: HostObjective = ENERGY_OBJECTIVE, startMs = 0): Map<string, number | undefined> {
  let last = new Map<string, number | undefined>();
  for (let r = 0; r < rounds; r++) {
    const hosts = views(r);
    const out = policy.plan({ nowMs: startMs + r * 1000, hosts, objectives: new Map(hosts.map((h) => [h.hostId, objective])) });
    last = new Map(out.map((p) => [p.hostId, p.setpoints.fanPct]));
  }
  return last;
}

describe("MPC choice", () => {
  it("never picks a level whose predictions break a limit while a level that keeps them exists", () => {
    const model = new FakeModel();
    const candidates = candidateGrid(20, 100, 2.5);
    let checked = 0;
    for (let nowC = 50; nowC <= 100; nowC += 0.7) {
      for (const slope of [0.2, 0.4, 0.6]) {
        model.slopeCPerPct = slope;
        const predictions = model.predictGrid(new Float32Array(), new Float32Array(4), candidates);
        const choice = chooseFanPct(candidates, predictions, 0, { cpuNowC: nowC, driveNowC: Number.NaN, cpuLimitC: 88.5, driveLimitC: Infinity, previousPct: undefined, minPct: 20, maxPct: 100 }, TUNING);
        const k = candidates.indexOf(choice.fanPct);
        const predicted = HORIZONS.map((_, j) => nowC + (predictions[k * N_OUTPUTS + (CPU[j] ?? 0)] ?? 0));
        const anyFeasible = candidates.some((_, c) => HORIZONS.every((h, j) => nowC + (predictions[c * N_OUTPUTS + (CPU[j] ?? 0)] ?? 0) <= limitAtC(88.5, nowC, h, 60)));
        if (anyFeasible) {
          expect(choice.feasible).toBe(true);
          HORIZONS.forEach((h, j) => expect(predicted[j]).toBeLessThanOrEqual(limitAtC(88.5, nowC, h, 60) + 1e-9));
        } else {
          expect(choice.feasible).toBe(false);
          expect(choice.fanPct).toBe(100);
        }
        checked++;
      }
    }
    expect(checked).toBeGreaterThan(100);
  });

  it("prices leakage at its watts at 85 °C, doubling every doublingK, and stops extrapolating at 150 °C", () => {
    const energy = { ...MPC_DEFAULT_ENERGY, leakageAt85W: 52, leakageDoublingK: 19 };
    expect(leakageW(energy, 85)).toBeCloseTo(52, 12);
    expect(leakageW(energy, 104)).toBeCloseTo(104, 12);
    expect(leakageW(energy, 66)).toBeCloseTo(26, 12);
    expect(leakageW(energy, 60) / leakageW(energy, 50)).toBeCloseTo(2 ** (10 / 19), 12);
    expect(leakageW(energy, 400)).toBe(leakageW(energy, 150));
  });

  it("takes the cheapest feasible level: fan watts against the leakage a hotter die costs", () => {
    const candidates = candidateGrid(20, 100, 2.5);
    const predictions = new FakeModel(30, 0.4).predictGrid(new Float32Array(), new Float32Array(4), candidates);
    // From 70 °C the limit 88.5 needs 30 − 0.4·f ≤ 18.5 → f ≥ 28.75; leakage makes somewhat more fan worth it.
    const choice = chooseFanPct(candidates, predictions, 0, { cpuNowC: 70, driveNowC: Number.NaN, cpuLimitC: 88.5, driveLimitC: Infinity, previousPct: undefined, minPct: 20, maxPct: 100 }, TUNING);
    expect(choice.fanPct).toBeGreaterThanOrEqual(30);
    const noLeakage = chooseFanPct(candidates, predictions, 0, { cpuNowC: 70, driveNowC: Number.NaN, cpuLimitC: 88.5, driveLimitC: Infinity, previousPct: undefined, minPct: 20, maxPct: 100 }, { ...TUNING, energy: { ...MPC_DEFAULT_ENERGY, leakageAt85W: 0 } });
    expect(noLeakage.fanPct).toBe(30);
    expect(choice.fanPct).toBeGreaterThan(noLeakage.fanPct);
  });

  it("asks a reading above its limit to come down by the last horizon, not within ten seconds", () => {
    expect(limitAtC(85, 80, 10, 60)).toBe(85);
    expect(limitAtC(85, 91, 10, 60)).toBeCloseTo(90, 9);
    expect(limitAtC(85, 91, 60, 60)).toBe(85);
  });
});

describe("MPC policy", () => {
  it("plans every host in one batched model call per round", () => {
    const model = new FakeModel();
    const policy = new MpcPolicy(model, { planPeriodMs: 1000 });
    run(policy, () => [view("a", 70), view("b", 75), view("c", 80)], 70);
    // The first 60 rounds fill each host's history (the fallback, B1, plans them meanwhile); then one call per round.
    expect(model.calls).toBe(10);
  });

  it("keeps the predicted CPU within target less its margin, and reacts to the headroom objective", () => {
    // A hot plant: from 70 °C the reading heads for 110 − 0.3·fan. Without leakage in the cost the limit alone sets the fan.
    const model = new FakeModel(40, 0.3);
    const options = { planPeriodMs: 1000, cpuMarginC: 1.5, probationPredictions: 0, energy: { leakageAt85W: 0 } };
    const energy = run(new MpcPolicy(model, options), () => [view("a", 70)], 70).get("a") ?? 0;
    expect(70 + 40 - 0.3 * energy).toBeLessThanOrEqual(88.5 + 1e-9);
    const headroom = run(new MpcPolicy(model, options), () => [view("a", 70)], 70, hostObjective("headroom", DEFAULT_OBJECTIVE_TUNING, 0)).get("a") ?? 0;
    expect(headroom).toBeGreaterThan(energy);
    expect(70 + 40 - 0.3 * headroom).toBeLessThanOrEqual(88.5 - DEFAULT_OBJECTIVE_TUNING.headroomC + 1e-9);
  });

  it("weighs each host's cooling and leakage by the watts its birth announces, and by the defaults where it announces none", () => {
    const model = new FakeModel(30, 0.4);
    const caps = (fans: Record<string, number>, cpuLeakage?: { at85W: number; doublingK: number }): Partial<HostView> => ({
      capabilities: { fans: { channels: 6, tier: "full", minPct: 20, maxPct: 100, ...fans }, maxLeaseMs: 30_000, ...(cpuLeakage ? { cpuLeakage } : {}) },
    });
    const hosts = () => [
      view("silent", 70),
      view("same-as-defaults", 70, caps({ maxPowerW: 72 }, { at85W: 52, doublingK: 19 })),
      view("cheap-fans", 70, caps({ maxPowerW: 24 })),
      view("low-leakage", 70, caps({}, { at85W: 12, doublingK: 19 })),
    ];
    const fanPct = run(new MpcPolicy(model, { planPeriodMs: 1000, probationPredictions: 0 }), hosts, 70);
    const silent = fanPct.get("silent") ?? Number.NaN;
    // The PowerEdge defaults: six 12 W fans against 2 × 26 W of leakage weighed three times, optimum near 77 %.
    expect(silent).toBeGreaterThan(60);
    expect(silent).toBeLessThan(95);
    expect(fanPct.get("same-as-defaults")).toBe(silent);
    // Fans a third as costly are worth running faster; a CPU that leaks little is worth running hotter.
    expect(fanPct.get("cheap-fans")).toBeGreaterThan(silent);
    expect(fanPct.get("low-leakage")).toBeLessThan(silent);
    // Every one of them still meets the limit (target 90 less the 0.5 °C margin).
    for (const pct of fanPct.values()) expect(100 - 0.4 * (pct ?? 0)).toBeLessThanOrEqual(89.5 + 1e-9);
  });

  it("never feeds the model a host without an inlet reading: the fallback plans it, the log says what is missing, and the model takes it once the inlet has a minute's readings", () => {
    const lines: string[] = [];
    const model = new FakeModel();
    const policy = new MpcPolicy(model, { planPeriodMs: 1000, probationPredictions: 0, log: (l) => lines.push(l) });
    const noInlet = (hostId: string): HostView => {
      const v = view(hostId, 70);
      return { ...v, temperatures: v.temperatures.filter((t) => t.role !== "inlet") };
    };
    expect(policy.routeOf("a")).toEqual({ policy: "b1", reason: "warm-up" });
    run(policy, () => [noInlet("a"), view("b", 70)], 80);
    expect(policy.fallbackOf("a")).toBe("missing-inputs");
    expect(policy.fallbackOf("b")).toBeUndefined();
    // What the API shows operators: who plans each host.
    expect(policy.routeOf("a")).toEqual({ policy: "b1", reason: "missing-inputs" });
    expect(policy.routeOf("b")).toEqual({ policy: "mpc" });
    // Only b reached the model, with every input finite.
    expect(model.hostsSeen).toBe(20);
    expect(model.nonFiniteStates).toBe(0);
    expect(lines.filter((l) => l.includes("host a"))).toEqual([expect.stringMatching(/host a is planned by B1: the model needs cpuOverInletC, inletC, .*no trusted inlet reading/)]);
    // The fallback still gives it a set-point every round.
    expect(run(policy, () => [noInlet("a"), view("b", 70)], 1, ENERGY_OBJECTIVE, 80_000).get("a")).toBeDefined();
    // The inlet appears: once its ten-period mean exists the model plans host a too.
    run(policy, () => [view("a", 70), view("b", 70)], 12, ENERGY_OBJECTIVE, 81_000);
    expect(policy.fallbackOf("a")).toBeUndefined();
    expect(model.nonFiniteStates).toBe(0);
  });

  it("hands a host to the fallback when its inlet sensor has been gone for over a minute, not planning on a stale reading", () => {
    const model = new FakeModel();
    const policy = new MpcPolicy(model, { planPeriodMs: 1000, probationPredictions: 0 });
    const inletGone = (): HostView[] => {
      const v = view("a", 70);
      return [{ ...v, temperatures: v.temperatures.map((t) => (t.role === "inlet" ? { ...t, tempC: null, quality: "missing" as const } : t)) }];
    };
    run(policy, () => [view("a", 70)], 70);
    expect(policy.fallbackOf("a")).toBeUndefined();
    run(policy, inletGone, 60, ENERGY_OBJECTIVE, 70_000);
    expect(policy.fallbackOf("a")).toBeUndefined();
    run(policy, inletGone, 2, ENERGY_OBJECTIVE, 130_000);
    expect(policy.fallbackOf("a")).toBe("missing-inputs");
    expect(model.nonFiniteStates).toBe(0);
  });

  it("carries a load rise forward under the feed-forward objective only", () => {
    const rising = (r: number) => [view("a", 70, { cpuUtilPct: Math.min(100, 20 + r) })];
    const model = new FakeModel();
    run(new MpcPolicy(model, { planPeriodMs: 1000 }), rising, 70);
    const persistence = model.lastLoad[2] ?? 0;
    run(new MpcPolicy(model, { planPeriodMs: 1000, probationPredictions: 0 }), rising, 70, hostObjective("feedforward", DEFAULT_OBJECTIVE_TUNING, 30));
    expect(model.lastLoad[2] ?? 0).toBeGreaterThan(persistence + 10);
  });

  it("without a model (cold start) plans every host with the fallback (B1) and says so", () => {
    const lines: string[] = [];
    const policy = new MpcPolicy(undefined, { planPeriodMs: 1000, log: (l) => lines.push(l) });
    const out = run(policy, () => [view("a", 85)], 5);
    // The stock curve's step for 5 °C under target.
    expect(out.get("a")).toBe(55);
    expect(policy.fallbackOf("a")).toBe("cold-start");
    expect(policy.routeOf("a")).toEqual({ policy: "b1", reason: "cold-start" });
    expect(policy.routeOf("never-seen")).toEqual({ policy: "b1", reason: "cold-start" });
    expect(policy.fallbackShare()).toBe(1);
    expect(lines.join("\n")).toMatch(/cold start\): every host is planned by B1/);
    // B2 on request: a PID that takes over from the fan the host runs (50 %) and moves from there.
    const pid = run(new MpcPolicy(undefined, { planPeriodMs: 1000, fallback: "b2" }), () => [view("a", 85)], 5).get("a") ?? 0;
    expect(pid).not.toBe(55);
    expect(Math.abs(pid - 50)).toBeLessThan(5);
  });

  it("hands a host to the fallback (B1) when its live prediction error grows, flags and logs it, and takes it back once the model is right again", () => {
    const lines: string[] = [];
    const model = new FakeModel(0, 0, 0);
    const policy = new MpcPolicy(model, { planPeriodMs: 1000, probationPredictions: 0, log: (l) => lines.push(l) });
    // Temperatures hold still and the model says so: it plans.
    run(policy, () => [view("a", 80), view("b", 80)], 80);
    expect(policy.fallbackOf("a")).toBeUndefined();
    // Host a now heats while the model still says "no change": its error grows past the threshold.
    const heating = (r: number) => [view("a", 80 + 0.5 * r), view("b", 80)];
    run(policy, heating, 90, ENERGY_OBJECTIVE, 80_000);
    expect(policy.fallbackOf("a")).toBe("prediction-error");
    expect(policy.fallbackOf("b")).toBeUndefined();
    expect(lines.some((l) => /host a falls back to B1/.test(l))).toBe(true);
    // B1 still plans it: a fallback host is never left without a set-point.
    expect(run(policy, () => [view("a", 125), view("b", 80)], 1, ENERGY_OBJECTIVE, 170_000).get("a")).toBeDefined();
    // It steadies again: the error decays below the recovery threshold and the model plans it once more.
    run(policy, () => [view("a", 95), view("b", 80)], 400, ENERGY_OBJECTIVE, 171_000);
    expect(policy.fallbackOf("a")).toBeUndefined();
    expect(lines.some((l) => /host a back on the model/.test(l))).toBe(true);
  });

  it("keeps a host on the fallback after its warm-up until the model's error on it is measured (probation), and never hands the model a host it gets wrong", () => {
    const right = new MpcPolicy(new FakeModel(0, 0, 0), { planPeriodMs: 1000 });
    const routes: (string | undefined)[] = [];
    for (let r = 0; r < 130; r++) {
      right.plan({ nowMs: r * 1000, hosts: [view("a", 80)], objectives: new Map([["a", ENERGY_OBJECTIVE]]) });
      routes.push(right.fallbackOf("a"));
    }
    // Warm-up until the 61-period history is full (round 60), then probation until 40 predictions — the first
    // due 11 periods on — have been scored: the model plans from round 60 + 11 + 39.
    expect(routes.slice(0, 60).every((x) => x === "warm-up")).toBe(true);
    expect(routes[60]).toBe("probation");
    expect(routes.indexOf(undefined)).toBe(60 + 11 + 39);
    expect(routes.slice(110).every((x) => x === undefined)).toBe(true);

    // A model that is wrong about the host from the start (it heats while the model says "no change") never plans it.
    const wrong = new MpcPolicy(new FakeModel(0, 0, 0), { planPeriodMs: 1000 });
    const seen = new Set<string | undefined>();
    for (let r = 0; r < 200; r++) {
      wrong.plan({ nowMs: r * 1000, hosts: [view("a", 70 + 0.3 * r)], objectives: new Map([["a", ENERGY_OBJECTIVE]]) });
      seen.add(wrong.fallbackOf("a"));
    }
    expect([...seen]).toEqual(["warm-up", "probation", "prediction-error"]);
  });

  it("refuses a hold tolerance that would let a held level pass the target", () => {
    expect(() => new MpcPolicy(new FakeModel(), { planPeriodMs: 1000, cpuMarginC: 1, holdToleranceC: 2 })).toThrow(/holdToleranceC/);
  });
});
