import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { loadProfile } from "../../firmware-sim/profiles/index.js";
import { CoolfleetError, ErrorCode } from "../../src/core/errors.js";
import { tuneBaselines, type BaselineTuning } from "./baseline-tuning.js";
import type { ObjectiveMode } from "./bench-controller-host.js";
import { DEFAULT_BENCH_PROFILE, runClosedLoop, type HostTrace } from "./engine.js";
import { CPU_TARGET_BELOW_TJMAX_C } from "./metrics.js";
import { baselineFactories, type BenchPolicyId, type PolicyFactory } from "./policies.js";
import { formatSummary, formatTable, summarise, type BenchResultRow, type PolicySummary } from "./report.js";
import { benchScenario, HELD_OUT_WORKLOADS, traceFileScenario, type BenchScenario, type BenchWorkloadId } from "./scenarios.js";
import type { MpcFactoryBuilder } from "./mpc-factory.js";
import { energyViolationSvg, hostTraceSvg } from "./svg-plots.js";

export interface BenchRunOptions {
  policies: readonly BenchPolicyId[];
  hosts: number;
  seeds: number;
  workloads: readonly BenchWorkloadId[];
  /** User traces; when given, only they run. */
  traces: readonly string[];
  durationS?: number;
  jsonFile?: string;
  outDir: string;
  objectiveMode: ObjectiveMode;
  /** Refit the baselines even if outDir holds a tuning for this profile. */
  retune: boolean;
  /** Builds the MPC policy from the baselines' tuning (the caller loads the model); absent → mpc is skipped with a note. */
  mpc?: MpcFactoryBuilder;
  /** The simulated machine every host is (default the PowerEdge R740, air). */
  profileId?: string;
  /** The command line, recorded in the JSON. */
  command: string;
  log: (line: string) => void;
  print: (text: string) => void;
}

export interface BenchRunReport {
  rows: BenchResultRow[];
  summaries: PolicySummary[];
  tuning: BaselineTuning;
}

const TUNING_FILE = "baseline-tuning.json";

/** Tuning is fit once per profile and reused (it is minutes of simulation); --retune refits. */
function loadOrTune(options: BenchRunOptions): BaselineTuning {
  const file = join(options.outDir, TUNING_FILE);
  const profileId = options.profileId ?? DEFAULT_BENCH_PROFILE;
  if (!options.retune && existsSync(file)) {
    const saved = readTuning(file);
    if (typeof saved === "string") options.log(`baselines: ${file} cannot be used (${saved}); fitting them again`);
    else if (saved.profileId === profileId) {
      options.log(`baselines: reusing ${file} (--retune to refit)`);
      return saved;
    }
  }
  options.log(`baselines: fitting B0, B2 and B3 for ${profileId} on the training workloads (W1, W3, W4, W7)…`);
  const tuning = tuneBaselines({ hosts: 6, seed: 1001, log: (line) => options.log(`  ${line}`) }, profileId);
  writeFileSync(file, `${JSON.stringify(tuning, null, 2)}\n`);
  return tuning;
}

/** A saved tuning, or why it cannot be used (unreadable, not JSON, not a tuning). */
function readTuning(file: string): BaselineTuning | string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  const t = parsed as Partial<BaselineTuning> | null;
  const ok = t !== null && typeof t === "object" && typeof t.profileId === "string" && typeof t.b0FanPct === "number" && typeof t.b2Gains === "object" && t.b2Gains !== null && typeof t.b3Table === "object" && t.b3Table !== null;
  return ok ? (t as BaselineTuning) : "not a baseline tuning";
}

function scenarios(options: BenchRunOptions): { scenario: BenchScenario; heldOut: boolean }[] {
  if (options.traces.length > 0) {
    const plan = options.traces.map((file) => ({ scenario: traceFileScenario(file, options.durationS), heldOut: true }));
    // A trace's workload name is its file name: two of the same name would be one workload in every table and plot.
    const seen = new Map<string, string>();
    options.traces.forEach((file, i) => {
      const name = plan[i]!.scenario.name;
      const other = seen.get(name);
      if (other !== undefined) throw new CoolfleetError(ErrorCode.UsageInvalid, `--trace ${other} and --trace ${file} would both be workload "${name}" (a trace is named by its file name): rename one`);
      seen.set(name, file);
    });
    return plan;
  }
  return options.workloads.map((id) => ({ scenario: benchScenario(id, options.durationS), heldOut: HELD_OUT_WORKLOADS.includes(id) }));
}

/** Every policy × workload × seed on the same simulated fleet; prints the table, writes JSON and SVG plots. */
export function runBench(options: BenchRunOptions): BenchRunReport {
  // The traces are read and checked first: a bad one is reported at once, not after minutes of fitting baselines.
  const plan = scenarios(options);
  mkdirSync(options.outDir, { recursive: true });
  const tuning = loadOrTune(options);
  const factories: Partial<Record<BenchPolicyId, PolicyFactory>> = { ...baselineFactories(tuning, 1000), ...(options.mpc ? { mpc: options.mpc(tuning) } : {}) };
  const policies = options.policies.filter((id) => {
    if (factories[id]) return true;
    options.log(`${id}: not available (no trained model); skipped`);
    return false;
  });
  const profileId = options.profileId ?? DEFAULT_BENCH_PROFILE;
  const rows: BenchResultRow[] = [];
  const traces = new Map<string, Map<string, HostTrace>>();
  const total = plan.length * options.seeds * policies.length;
  let done = 0;
  const startedMs = performance.now();
  for (const { scenario, heldOut } of plan) {
    for (let seed = 1; seed <= options.seeds; seed++) {
      for (const id of policies) {
        const policy = (factories[id] as PolicyFactory)();
        const result = runClosedLoop({ policy, scenario, seed, hosts: options.hosts, profileIds: [profileId], objectiveMode: options.objectiveMode, recordTrace: seed === 1 });
        const fallbackShare = typeof policy === "string" ? undefined : (policy as Partial<{ fallbackShare: () => number }>).fallbackShare?.();
        rows.push({
          policy: id,
          workload: scenario.name,
          seed,
          heldOut,
          ...result.metrics,
          decisionMsP99: result.decisionMsP99,
          tickMsP99: result.tickMsP99,
          ...(fallbackShare !== undefined ? { fallbackShare } : {}),
        });
        if (result.trace) {
          const byPolicy = traces.get(scenario.name) ?? new Map<string, HostTrace>();
          byPolicy.set(id, result.trace);
          traces.set(scenario.name, byPolicy);
        }
        done++;
        const elapsedS = (performance.now() - startedMs) / 1000;
        options.log(`[${done}/${total}] ${scenario.name} seed ${seed} ${id}: cooling ${(result.metrics.coolingEnergyJ / 3600).toFixed(2)} Wh/host, ${elapsedS.toFixed(0)} s elapsed`);
      }
    }
  }

  const summaries = summarise(rows);
  options.print(`${formatTable(rows)}\n\n${formatSummary(summaries, rows.filter((r) => r.heldOut).length)}\n`);
  const meta = {
    command: options.command,
    hosts: options.hosts,
    seeds: options.seeds,
    objectiveMode: options.objectiveMode,
    profile: profileId,
    heldOutWorkloads: HELD_OUT_WORKLOADS,
    tuning,
  };
  if (options.jsonFile) {
    mkdirSync(dirname(options.jsonFile), { recursive: true });
    writeFileSync(options.jsonFile, `${JSON.stringify({ meta, summaries, results: rows }, null, 2)}\n`);
  }
  writeFileSync(join(options.outDir, "energy-vs-violations.svg"), energyViolationSvg(summaries, `Held-out workloads, ${options.hosts} hosts × ${options.seeds} seeds`));
  const targetC = loadProfile(profileId).tjMaxC - CPU_TARGET_BELOW_TJMAX_C;
  for (const [workload, byPolicy] of traces) {
    writeFileSync(join(options.outDir, `trace-${workload}.svg`), hostTraceSvg(byPolicy, `${workload}: host 0, seed 1`, targetC));
  }
  options.log(`wrote ${options.jsonFile ?? "(no --json)"} and SVG plots in ${options.outDir}`);
  return { rows, summaries, tuning };
}
