import { energyOptimalFanPct, steadyState } from "../../firmware-sim/physics/steady-state.js";
import { loadProfile, type HostProfile } from "../../firmware-sim/profiles/index.js";
import type { PidGains } from "../../src/controller/planner/margin-pid.js";
import { B0FixedPolicy } from "../../src/controller/planner/policy-b0-fixed.js";
import { B2CascadePidPolicy } from "../../src/controller/planner/policy-b2-pid.js";
import type { LoadFanTable } from "../../src/controller/planner/policy-b3-lookup.js";
import type { PlanningPolicy } from "../../src/controller/planner/policy.js";
import { DEFAULT_BENCH_PROFILE, runClosedLoop } from "./engine.js";
import { CPU_TARGET_BELOW_TJMAX_C, type RunMetrics } from "./metrics.js";
import { benchScenario, TRAINING_WORKLOADS } from "./scenarios.js";

/** What the baselines are fit to, on the training workloads only. */
export interface BaselineTuning {
  profileId: string;
  trainingWorkloads: string[];
  b0FanPct: number;
  b2Gains: PidGains;
  b3Table: LoadFanTable;
  /** How each was chosen, for the report. */
  notes: string[];
}

export interface TuningBudget {
  hosts: number;
  seed: number;
  /** Shortens every training workload to at most this (the grid search's cost). */
  maxDurationS?: number;
  /** The simulated machine (default the benchmark's R740). */
  profileId?: string;
  log?: (line: string) => void;
}

const B3_MARGIN_PCT = 3;
const B3_UTIL_PCTS = [0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
const B3_INLET_CS = [18, 22, 25, 28, 32, 35];
/** The governor overrides to full cooling 3 °C short of Tj max (sim agent config): a B0 that needs it is not safe. */
const OVERRIDE_BELOW_TJMAX_C = 3;

function trainingRuns(makePolicy: () => PlanningPolicy, budget: TuningBudget): RunMetrics[] {
  return TRAINING_WORKLOADS.map((id) => {
    const scenario = benchScenario(id, budget.maxDurationS);
    return runClosedLoop({ policy: makePolicy(), scenario, seed: budget.seed, hosts: budget.hosts, objectiveMode: "state", profileIds: [budget.profileId ?? DEFAULT_BENCH_PROFILE] }).metrics;
  });
}

/** Lowest fixed fan % (whole %) at which no training run throttles, goes over a limit or needs the governor's override. */
export function tuneB0(profile: HostProfile, budget: TuningBudget): { fanPct: number; note: string } {
  const safe = (pct: number): boolean =>
    trainingRuns(() => new B0FixedPolicy(pct), budget).every((m) => m.throttleS === 0 && m.overLimitS === 0 && m.maxDieC < profile.tjMaxC - OVERRIDE_BELOW_TJMAX_C);
  let lo = Math.ceil(profile.fans.minPct);
  let hi = 100;
  if (safe(lo)) hi = lo;
  // Bisection on whole percent: safety is monotone in a fixed fan speed.
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (safe(mid)) hi = mid;
    else lo = mid;
    budget.log?.(`b0: ${mid} % ${hi === mid ? "safe" : "unsafe"}`);
  }
  return { fanPct: hi, note: `b0 ${hi} %: lowest whole % with no throttling, no limit exceeded and no governor override on ${TRAINING_WORKLOADS.join(", ")} (${budget.hosts} hosts, seed ${budget.seed})` };
}

/**
 * B2's gains by grid search on the training workloads: the least whole-server energy (fans plus the leakage that
 * running hot costs — the quantity an operator pays for, and the one MPC minimises) among gains that never throttle
 * and never exceed a limit. Cooling energy alone would reward the laziest loop, which parks the CPU at its target.
 */
export function tuneB2(budget: TuningBudget, periodMs = 1000): { gains: PidGains; note: string } {
  const grid: PidGains[] = [];
  for (const kp of [1, 2, 4, 8]) for (const ki of [0.02, 0.05, 0.15, 0.4]) for (const kd of [0, 8]) grid.push({ kp, ki, kd });
  const feasible: { gains: PidGains; energyJ: number; tv: number }[] = [];
  for (const gains of grid) {
    const runs = trainingRuns(() => new B2CascadePidPolicy(periodMs, { fanGains: gains }), budget);
    const energyJ = runs.reduce((sum, m) => sum + m.totalEnergyJ, 0);
    const coolingJ = runs.reduce((sum, m) => sum + m.coolingEnergyJ, 0);
    const tv = runs.reduce((sum, m) => sum + m.fanTotalVariationPct, 0);
    budget.log?.(
      `b2: kp ${gains.kp} ki ${gains.ki} kd ${gains.kd}: total ${(energyJ / 3.6e3).toFixed(1)} Wh/host, cooling ${(coolingJ / 3.6e3).toFixed(2)} Wh/host, fan TV ${tv.toFixed(0)} %${runs.every((m) => m.throttleS === 0 && m.overLimitS === 0) ? "" : " (throttles or over a limit)"}`,
    );
    if (runs.every((m) => m.throttleS === 0 && m.overLimitS === 0)) feasible.push({ gains, energyJ, tv });
  }
  // Energies within 0.2 % are a tie (that is the seed-to-seed noise); a tie goes to the smoother loop.
  const leastJ = Math.min(...feasible.map((f) => f.energyJ));
  const best = feasible.filter((f) => f.energyJ <= leastJ * 1.002).sort((a, b) => a.tv - b.tv)[0];
  const gains = best?.gains ?? { kp: 4, ki: 0.15, kd: 0 };
  return {
    gains,
    note: best
      ? `b2 gains kp ${gains.kp}, ki ${gains.ki}, kd ${gains.kd}: least total server energy of a ${grid.length}-point grid among gains that never throttle or exceed a limit (ties within 0.2 % to the least fan movement) on ${TRAINING_WORKLOADS.join(", ")} (${budget.hosts} hosts, seed ${budget.seed})`
      : "b2: no grid point was feasible; using the agent's default gains",
  };
}

/**
 * B3's table from the steady-state physics of the nominal profile: per (load, inlet), the energy-optimal fan speed,
 * raised where needed so the die sits at or below its control target, plus a margin for the ±10 % host spread.
 */
export function buildB3Table(profile: HostProfile, diskMBps = 5): { table: LoadFanTable; note: string } {
  const targetC = profile.tjMaxC - CPU_TARGET_BELOW_TJMAX_C;
  const fanPct = B3_UTIL_PCTS.map((utilPct) =>
    B3_INLET_CS.map((inletC) => {
      const op = { cpuUtil: utilPct / 100, inletC, diskMBps };
      const optimum = energyOptimalFanPct(profile, op).fanPct;
      let withinTarget = Math.max(optimum, profile.fans.minPct);
      while (withinTarget < 100) {
        const s = steadyState(profile, { ...op, fanPct: withinTarget });
        if (!s.runaway && s.dieC <= targetC) break;
        withinTarget++;
      }
      return Math.min(100, withinTarget + B3_MARGIN_PCT);
    }),
  );
  return {
    table: { utilPcts: B3_UTIL_PCTS, inletCs: B3_INLET_CS, fanPct },
    note: `b3 table: energyOptimalFanPct of nominal ${profile.id} over load ${B3_UTIL_PCTS[0]}–${B3_UTIL_PCTS[B3_UTIL_PCTS.length - 1]} % × inlet ${B3_INLET_CS.join("/")} °C, raised to keep the steady die ≤ Tj max − 10 °C, + ${B3_MARGIN_PCT} points`,
  };
}

/** Fits every baseline on the training workloads (a few minutes of simulation at the default budget). */
export function tuneBaselines(given: TuningBudget, profileId = DEFAULT_BENCH_PROFILE): BaselineTuning {
  const profile = loadProfile(profileId);
  const budget = { ...given, profileId };
  const b3 = buildB3Table(profile);
  budget.log?.(b3.note);
  const b0 = tuneB0(profile, budget);
  budget.log?.(b0.note);
  const b2 = tuneB2(budget);
  budget.log?.(b2.note);
  return {
    profileId,
    trainingWorkloads: [...TRAINING_WORKLOADS],
    b0FanPct: b0.fanPct,
    b2Gains: b2.gains,
    b3Table: b3.table,
    notes: [b0.note, b2.note, b3.note],
  };
}
