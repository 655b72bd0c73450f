import { readFileSync } from "node:fs";
import { MPC_DEFAULT_ENERGY, type MpcPolicyOptions } from "../../src/controller/planner/policy-mpc.js";
import type { BaselineTuning } from "./baseline-tuning.js";
import type { ObjectiveMode } from "./bench-controller-host.js";
import { runClosedLoop } from "./engine.js";
import { createBenchMpc } from "./mpc-factory.js";
import { baselineFactories, type PolicyFactory } from "./policies.js";
import { benchScenario, TRAINING_WORKLOADS, withW9Faults } from "./scenarios.js";

/** One setting's sums over the training workloads (per host). */
interface TrainingTotals {
  totalJ: number;
  coolingJ: number;
  tv: number;
  throttleS: number;
  aboveTargetS: number;
  overshootC: number;
  /** Max overshoot over hosts that can hold their target at full fan. */
  overshootControllableC: number;
}

const BUDGET = { hosts: 6, seeds: [1001] };
/** The fallback guard acts in the first minutes of a run on hosts that start over their target: it needs a fleet to show. */
const FLEET_BUDGET = { hosts: 50, seeds: [1, 2, 3] };
/** Energies within this fraction of the least are a tie (the seed-to-seed noise; the same rule as B2's gains). */
const ENERGY_TIE = 0.002;

/** The simulated machine (a firmware-sim profile id); the air-cooled default unless given. */
let profileIds: string[] | undefined;

function trainingTotals(make: PolicyFactory, mode: ObjectiveMode, faults = false, budget = BUDGET): TrainingTotals {
  const runs = TRAINING_WORKLOADS.flatMap((id) =>
    budget.seeds.map((seed) => {
      const scenario = faults ? withW9Faults(benchScenario(id)) : benchScenario(id);
      return runClosedLoop({ policy: make(), scenario, seed, hosts: budget.hosts, objectiveMode: mode, ...(profileIds ? { profileIds } : {}) }).metrics;
    }),
  );
  const sum = (f: (m: (typeof runs)[number]) => number): number => runs.reduce((a, m) => a + f(m), 0);
  return {
    totalJ: sum((m) => m.totalEnergyJ),
    coolingJ: sum((m) => m.coolingEnergyJ),
    tv: sum((m) => m.fanTotalVariationPct),
    throttleS: sum((m) => m.throttleS),
    aboveTargetS: sum((m) => m.aboveTargetS),
    overshootC: Math.max(...runs.map((m) => m.maxOvershootC)),
    overshootControllableC: Math.max(...runs.map((m) => m.maxOvershootControllableC)),
  };
}

function describe(r: TrainingTotals): string {
  return `total ${(r.totalJ / 3600).toFixed(1)} Wh, cooling ${(r.coolingJ / 3600).toFixed(2)} Wh, TV ${r.tv.toFixed(0)} %, >target ${r.aboveTargetS.toFixed(0)} s, throttle ${r.throttleS.toFixed(0)} s, overshoot ${r.overshootC.toFixed(1)} °C (controllable ${r.overshootControllableC.toFixed(1)} °C)`;
}

/** The margins grid (how margin 0.5 °C, switch 1 W, smoothness 0.2 W/% were chosen). */
function marginsGrid(): Partial<MpcPolicyOptions>[] {
  const grid: Partial<MpcPolicyOptions>[] = [];
  for (const cpuMarginC of [0.5, 1, 1.5, 2.5]) for (const switchThresholdW of [1, 3]) for (const smoothnessWPerPct of [0.05, 0.2]) grid.push({ cpuMarginC, switchThresholdW, smoothnessWPerPct, holdToleranceC: Math.min(0.5, cpuMarginC), holdRounds: 1, holdReversalsOnly: false });
  return grid;
}

/** The move-blocking grid, on the chosen margins: how long a cheaper level must win, and by how much. */
function holdGrid(): Partial<MpcPolicyOptions>[] {
  const grid: Partial<MpcPolicyOptions>[] = [];
  grid.push({ cpuMarginC: 0.5, smoothnessWPerPct: 0.2, holdToleranceC: 0.5, switchThresholdW: 1, holdRounds: 1, holdReversalsOnly: false });
  for (const holdReversalsOnly of [false, true]) {
    for (const holdRounds of [10, 30, 60, 120]) for (const switchThresholdW of [1, 3]) grid.push({ cpuMarginC: 0.5, smoothnessWPerPct: 0.2, holdToleranceC: 0.5, switchThresholdW, holdRounds, holdReversalsOnly });
  }
  return grid;
}

/** What to do when no level meets the limits, on the chosen hold. */
function slackGrid(): Partial<MpcPolicyOptions>[] {
  return [0, 0.25, 0.5, 1, 2].map((infeasibleSlackC) => ({ ...CHOSEN_HOLD, infeasibleSlackC }));
}

/** Probation lengths (scored predictions before the model may command a host), on the chosen hold. */
function probationGrid(): Partial<MpcPolicyOptions>[] {
  return [0, 10, 20, 40].map((probationPredictions) => ({ ...CHOSEN_HOLD, probationPredictions }));
}

/** How much utilisation history the persistence forecast averages, on the chosen hold and probation. */
function loadWindowGrid(): Partial<MpcPolicyOptions>[] {
  return [3, 10, 20, 40].map((loadWindowPeriods) => ({ ...CHOSEN_HOLD, probationPredictions: 40, loadWindowPeriods }));
}

/** The gains of the B2 that plans the hosts MPC hands back (warm-up, probation, prediction error), on the chosen settings. */
function fallbackGainsGrid(tuning: BaselineTuning): Partial<MpcPolicyOptions>[] {
  const gains = [tuning.b2Gains, { kp: 4, ki: 0.15, kd: 0 }, { kp: 8, ki: 0.05, kd: 0 }, { kp: 8, ki: 0.15, kd: 0 }];
  // The fallback is B1 unless named: each gain set says so, or the grid would compare B1 with itself.
  return [...gains.map((b2Gains) => ({ ...CHOSEN_HOLD, probationPredictions: 40, fallback: "b2" as const, b2Gains })), { ...CHOSEN_HOLD, probationPredictions: 40, fallback: "b1" as const }];
}

/**
 * How much a predicted leakage watt counts against a fan watt, on the defaults (hold, probation, B1 fallback). The
 * cost sees leakage at the 60 s prediction, while a held fan level keeps acting on the heatsink for minutes.
 */
function leakageGrid(): Partial<MpcPolicyOptions>[] {
  return [1, 1.5, 2, 3].map((leakageWeight) => ({ ...CHOSEN_HOLD, probationPredictions: 40, fallback: "b1" as const, energy: { ...MPC_DEFAULT_ENERGY, leakageWeight } }));
}

/** The same for liquid-cooled hosts (run it with the liquid profile). */
function liquidLeakageGrid(): Partial<MpcPolicyOptions>[] {
  return [1, 1.5, 2, 3].map((liquidLeakageWeight) => ({ liquidLeakageWeight }));
}

/**
 * Settings every grid point starts from, for running the grids in sequence (each on the winners of the ones
 * before): `MPC_TUNING_BASE='{"smoothnessWPerPct":0.05}'`. A grid's own fixed settings give way to these; the keys it
 * varies do not.
 */
const BASE: Partial<MpcPolicyOptions> = JSON.parse(process.env.MPC_TUNING_BASE ?? "{}") as Partial<MpcPolicyOptions>;

/** The grid on BASE: each point keeps the keys the grid varies (differ between its points) and takes the rest from BASE. */
function onBase(grid: Partial<MpcPolicyOptions>[]): Partial<MpcPolicyOptions>[] {
  const keys = new Set(grid.flatMap((point) => Object.keys(point)));
  const varied = [...keys].filter((k) => new Set(grid.map((point) => JSON.stringify((point as Record<string, unknown>)[k]))).size > 1);
  const fixed = Object.fromEntries(Object.entries(BASE).filter(([k]) => !varied.includes(k)));
  return grid.map((point) => ({ ...point, ...fixed }));
}

/**
 * The margins and hold chosen by the grids run in sequence with model v0005 (docs/model.md); the later grids start
 * from them. (With v0001 they were smoothness 0.2 W/% and a 30-round hold.)
 */
const CHOSEN_HOLD: Partial<MpcPolicyOptions> = { cpuMarginC: 0.5, smoothnessWPerPct: 0.05, holdToleranceC: 0.5, switchThresholdW: 3, holdRounds: 10, holdReversalsOnly: true };

/**
 * Picks MPC's settings on the training workloads only (never on held-out ones):
 * `node dist/bench/closed-loop/mpc-tuning.js <model dir> <baseline-tuning.json> [state|energy] [hold|slack|margins|load|probation|fallback|leakage|liquid-leakage|guard|headroom] [profile]`
 * (MPC_TUNING_BASE: the settings the grid starts from, above).
 * - margins: the least whole-server energy among settings with no throttling, overshoot ≤ 2 °C and fan total
 *   variation no worse than B1's.
 * - hold (default): among settings with no throttling, overshoot ≤ 2 °C and no more time above target than without a
 *   hold (the first grid point), and whose whole-server energy is within 0.2 % of the least, the least fan movement.
 * - slack: the same rule, over what to do when no level meets the limits (on the chosen hold).
 * - load: the same rule, over the window of the persistence load forecast (on the chosen hold and probation).
 * - leakage: the weight of a leakage watt against a fan watt; the least whole-server energy among settings with no
 *   throttling and overshoot ≤ 2 °C, ties within 0.2 % to the least fan movement.
 * - guard: the fallback's guard against cutting a hot host's fans (chooseGuard).
 * - headroom: the fallback's Cooling headroom for hosts near their target (chooseHeadroom; run with both objectives).
 * - probation, fallback (the fallback B2's gains): each setting also on the training workloads with W9's faults injected; the least overshoot (over hosts
 *   that can hold their target) there, ties within 0.2 °C to the least whole-server energy without faults (probation:
 *   to the longest probation first), among settings whose energy without faults is within 0.2 % of no probation's.
 */
async function main(): Promise<void> {
  const [modelDir = "bench-results/models", tuningFile = "bench-results/closed-loop/baseline-tuning.json", modeArg = "state", gridArg = "hold", profileArg] = process.argv.slice(2);
  if (profileArg) profileIds = [profileArg];
  const mode: ObjectiveMode = modeArg === "energy" ? "energy" : "state";
  const tuning = JSON.parse(readFileSync(tuningFile, "utf8")) as BaselineTuning;
  const b1 = trainingTotals(baselineFactories(tuning, 1000).b1, mode);
  process.stdout.write(`b1 (training, ${mode}): ${describe(b1)}\n`);
  if (gridArg === "probation" || gridArg === "fallback") {
    if (gridArg === "probation") await chooseWithFaults(onBase(probationGrid()), modelDir, tuning, mode, longestProbationFirst);
    else await chooseWithFaults(onBase(fallbackGainsGrid(tuning)), modelDir, tuning, mode);
    return;
  }
  if (gridArg === "guard") {
    await chooseGuard(modelDir, tuning, mode);
    return;
  }
  if (gridArg === "headroom") {
    await chooseHeadroom(modelDir, tuning, mode);
    return;
  }
  const grid = onBase(gridArg === "margins" ? marginsGrid() : gridArg === "slack" ? slackGrid() : gridArg === "load" ? loadWindowGrid() : gridArg === "leakage" ? leakageGrid() : gridArg === "liquid-leakage" ? liquidLeakageGrid() : holdGrid());
  const results: { options: Partial<MpcPolicyOptions>; r: TrainingTotals }[] = [];
  for (const options of grid) {
    const startedMs = performance.now();
    const r = trainingTotals((await createBenchMpc(modelDir, () => undefined, options))(tuning), mode);
    results.push({ options, r });
    process.stdout.write(`${JSON.stringify(options)}: ${describe(r)} (${((performance.now() - startedMs) / 1000).toFixed(0)} s)\n`);
  }
  const safe = results.filter(({ r }) => r.throttleS === 0 && r.overshootC <= 2);
  let chosen: (typeof results)[number] | undefined;
  if (gridArg === "margins") {
    chosen = safe.filter(({ r }) => r.tv <= b1.tv).sort((a, b) => a.r.totalJ - b.r.totalJ)[0];
  } else if (gridArg === "leakage" || gridArg === "liquid-leakage") {
    const leastJ = Math.min(...safe.map(({ r }) => r.totalJ));
    chosen = safe.filter(({ r }) => r.totalJ <= leastJ * (1 + ENERGY_TIE)).sort((a, b) => a.r.tv - b.r.tv)[0];
  } else {
    const aboveLimitS = results[0]?.r.aboveTargetS ?? Infinity;
    const ok = safe.filter(({ r }) => r.aboveTargetS <= aboveLimitS);
    const leastJ = Math.min(...ok.map(({ r }) => r.totalJ));
    chosen = ok.filter(({ r }) => r.totalJ <= leastJ * (1 + ENERGY_TIE)).sort((a, b) => a.r.tv - b.r.tv)[0];
  }
  process.stdout.write(`chosen: ${chosen ? `${JSON.stringify(chosen.options)}: ${describe(chosen.r)}` : "none met the rule"}\n`);
}

/**
 * The probation is a safety measure: among settings tied by the rule, the longest wins, so noise of a few tenths of
 * a watt-hour cannot drop it (in sequence with v0005, no probation won by 0.2 Wh in 1 050; docs/model.md).
 */
const longestProbationFirst = (a: Partial<MpcPolicyOptions>, b: Partial<MpcPolicyOptions>): number => (b.probationPredictions ?? 0) - (a.probationPredictions ?? 0);

async function chooseWithFaults(
  grid: Partial<MpcPolicyOptions>[],
  modelDir: string,
  tuning: BaselineTuning,
  mode: ObjectiveMode,
  preferAmongTies: (a: Partial<MpcPolicyOptions>, b: Partial<MpcPolicyOptions>) => number = () => 0,
): Promise<void> {
  const results: { options: Partial<MpcPolicyOptions>; clean: TrainingTotals; faulted: TrainingTotals }[] = [];
  for (const options of grid) {
    const make = (await createBenchMpc(modelDir, () => undefined, options))(tuning);
    const clean = trainingTotals(make, mode);
    const faulted = trainingTotals(make, mode, true);
    results.push({ options, clean, faulted });
    process.stdout.write(`${JSON.stringify(options)}:\n  training: ${describe(clean)}\n  training + W9's faults: ${describe(faulted)}\n`);
  }
  const baseJ = results[0]?.clean.totalJ ?? Infinity;
  const ok = results.filter(({ clean }) => clean.totalJ <= baseJ * (1 + ENERGY_TIE));
  const least = Math.min(...ok.map(({ faulted }) => faulted.overshootControllableC));
  const chosen = ok.filter(({ faulted }) => faulted.overshootControllableC <= least + 0.2).sort((a, b) => preferAmongTies(a.options, b.options) || a.clean.totalJ - b.clean.totalJ)[0];
  process.stdout.write(`chosen: ${chosen ? JSON.stringify(chosen.options) : "none met the rule"}\n`);
}

/**
 * The fallback's guard (never cut a hot host's fans) against none, on the defaults: each on the training workloads with
 * 50 hosts × 3 seeds, and with W9's faults injected (6 hosts). Adopted if the fleet's overshoot* is lower, its
 * whole-server energy within 0.2 %, and the overshoot* with faults no more than 0.2 °C higher.
 */
async function chooseGuard(modelDir: string, tuning: BaselineTuning, mode: ObjectiveMode): Promise<void> {
  const [off, on] = await switchOffAndOn(modelDir, tuning, mode, "fallbackNoCutWhileHot");
  if (!off || !on) return;
  const adopt =
    on.fleet.overshootControllableC < off.fleet.overshootControllableC &&
    on.fleet.totalJ <= off.fleet.totalJ * (1 + ENERGY_TIE) &&
    on.faulted.overshootControllableC <= off.faulted.overshootControllableC + 0.2;
  process.stdout.write(`chosen: fallbackNoCutWhileHot ${adopt}\n`);
}

interface SwitchResult {
  fleet: TrainingTotals;
  faulted: TrainingTotals;
}

/** One boolean setting off, then on (on BASE): the training workloads with 50 hosts × 3 seeds, and with W9's faults (6 hosts). */
async function switchOffAndOn(modelDir: string, tuning: BaselineTuning, mode: ObjectiveMode, key: "fallbackNoCutWhileHot" | "fallbackHeadroom"): Promise<SwitchResult[]> {
  const results: SwitchResult[] = [];
  for (const value of [false, true]) {
    const make = (await createBenchMpc(modelDir, () => undefined, { ...BASE, [key]: value }))(tuning);
    const fleet = trainingTotals(make, mode, false, FLEET_BUDGET);
    const faulted = trainingTotals(make, mode, true);
    results.push({ fleet, faulted });
    process.stdout.write(`${key} ${value} (${mode}):\n  training, ${FLEET_BUDGET.hosts} hosts × ${FLEET_BUDGET.seeds.length} seeds: ${describe(fleet)}\n  training + W9's faults: ${describe(faulted)}\n`);
  }
  return results;
}

/**
 * The fallback's Cooling headroom (FallbackHeadroom) against none, on BASE; run once per objective. Adopted if both
 * runs say so: under the energy objective (where no state machine gives a hot host headroom) the fleet's time above
 * target is lower, its overshoot* no higher and its whole-server energy within 0.2 %, and with W9's faults the
 * overshoot* no more than 0.2 °C higher; under the state objectives the fleet's whole-server energy is within 0.2 %
 * and its overshoot* no higher.
 */
async function chooseHeadroom(modelDir: string, tuning: BaselineTuning, mode: ObjectiveMode): Promise<void> {
  const [off, on] = await switchOffAndOn(modelDir, tuning, mode, "fallbackHeadroom");
  if (!off || !on) return;
  const energyAndOvershoot = on.fleet.totalJ <= off.fleet.totalJ * (1 + ENERGY_TIE) && on.fleet.overshootControllableC <= off.fleet.overshootControllableC;
  const adopt =
    mode === "energy"
      ? energyAndOvershoot && on.fleet.aboveTargetS < off.fleet.aboveTargetS && on.faulted.overshootControllableC <= off.faulted.overshootControllableC + 0.2
      : energyAndOvershoot;
  process.stdout.write(`${mode} objectives: fallbackHeadroom ${adopt ? "passes" : "fails"} (adopted if both objectives' runs pass)\n`);
}

await main();
