import type { Command } from "commander";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import { listProfiles } from "../../firmware-sim/profiles/index.js";
import { parsePositiveNumber } from "./options.js";

const POLICIES = ["fw", "b0", "b1", "b2", "b3", "mpc"] as const;
const WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W10"] as const;
type PolicyId = (typeof POLICIES)[number];
type WorkloadId = (typeof WORKLOADS)[number];

/** The options as commander hands them over. */
export interface BenchCliOptions {
  policies: string;
  hosts: string;
  seeds: string;
  workloads?: string;
  trace: string[];
  duration?: string;
  json?: string;
  out: string;
  objectives: string;
  retune?: boolean;
  modelDir: string;
  profile: string;
}

export interface BenchCommandOptions {
  policies: PolicyId[];
  hosts: number;
  seeds: number;
  workloads: WorkloadId[];
  traces: string[];
  durationS?: number;
  jsonFile?: string;
  outDir: string;
  objectiveMode: "state" | "energy";
  retune: boolean;
  modelDir: string;
  profileId: string;
}


const usage = (message: string): CoolfleetError => new CoolfleetError(ErrorCode.UsageInvalid, message);

function listOf<T extends string>(option: string, raw: string, known: readonly T[]): T[] {
  const items = raw.split(",").map((s) => s.trim()).filter((s) => s !== "");
  if (items.length === 0) throw usage(`${option} needs at least one of ${known.join(", ")}`);
  for (const item of items) if (!(known as readonly string[]).includes(item)) throw usage(`${option}: unknown "${item}"; known: ${known.join(", ")}`);
  return [...new Set(items)] as T[];
}

export function parseBenchOptions(raw: BenchCliOptions): BenchCommandOptions {
  if (raw.objectives !== "state" && raw.objectives !== "energy") throw usage(`--objectives must be "state" or "energy"; got "${raw.objectives}"`);
  const profiles = listProfiles();
  if (!profiles.includes(raw.profile)) throw usage(`--profile: unknown "${raw.profile}"; known: ${profiles.join(", ")}`);
  const durationS = raw.duration === undefined ? undefined : parsePositiveNumber("--duration", raw.duration, { max: 7 * 86_400 });
  return {
    policies: listOf("--policies", raw.policies, POLICIES),
    hosts: parsePositiveNumber("--hosts", raw.hosts, { integer: true, max: 10_000 }),
    seeds: parsePositiveNumber("--seeds", raw.seeds, { integer: true, max: 1000 }),
    workloads: raw.workloads === undefined ? [...WORKLOADS] : listOf("--workloads", raw.workloads, WORKLOADS),
    traces: raw.trace,
    ...(durationS !== undefined ? { durationS } : {}),
    ...(raw.json !== undefined ? { jsonFile: raw.json } : {}),
    outDir: raw.out,
    objectiveMode: raw.objectives,
    retune: raw.retune === true,
    modelDir: raw.modelDir,
    profileId: raw.profile,
  };
}

export function registerBenchCommand(program: Command): void {
  program
    .command("bench")
    .description("closed-loop control benchmark: every policy on the same simulated fleet, workloads and seeds, faster than real time (docs/benchmark.md)")
    .option("--policies <ids>", `comma-separated, of ${POLICIES.join(", ")}`, POLICIES.join(","))
    .option("--hosts <n>", "simulated hosts per run", "50")
    .option("--seeds <n>", "seeds per workload (runs 1..n)", "5")
    .option("--workloads <ids>", `comma-separated, of ${WORKLOADS.join(", ")} (default all)`)
    .option("--trace <file>", "replay a CSV trace (t_s,cpu_util,disk_mbps,inlet_c); repeatable; with --trace only traces run", (v: string, acc: string[]) => [...acc, v], [] as string[])
    .option("--duration <s>", "simulated seconds per run (default: each workload's own length)")
    .option("--json <file>", "write every run's metrics as JSON")
    .option("--out <dir>", "directory for plots, the baseline tuning and logs", "bench-results/closed-loop")
    .option("--objectives <mode>", '"state": objectives from the host state machine; "energy": energy throughout', "state")
    .option("--retune", "refit the baselines on the training workloads even if --out holds a fit")
    .option("--model-dir <dir>", "thermal model registry for mpc (coolfleet model train; liquid models in <dir>/liquid)", "bench-results/models")
    .option("--profile <id>", "simulated machine for every host: a firmware-sim profile id (poweredge-r740-air, poweredge-r750-liquid, macpro-2019)", "poweredge-r740-air")
    .action(async (raw: BenchCliOptions) => {
      const options = parseBenchOptions(raw);
      const [{ runBench }, { createBenchMpc }] = await Promise.all([import("../../bench/closed-loop/run-bench.js"), import("../../bench/closed-loop/mpc-factory.js")]);
      const log = (line: string): void => void process.stderr.write(`${line}\n`);
      const mpc = options.policies.includes("mpc") ? await createBenchMpc(options.modelDir, log) : undefined;
      runBench({
        ...options,
        ...(mpc ? { mpc } : {}),
        command: `coolfleet bench ${process.argv.slice(3).join(" ")}`.trim(),
        log,
        print: (text) => void process.stdout.write(text),
      });
    });
}
