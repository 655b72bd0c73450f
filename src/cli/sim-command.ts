import type { Command } from "commander";
import { statfsSync } from "node:fs";
import type { LevelWithSilent } from "pino";
// Types only at load time: the simulator is imported when `sim` runs, so `coolfleet agent` never loads it.
import type { SimFleet } from "../../firmware-sim/fleet.js";
import type { Workload, WorkloadId } from "../../firmware-sim/workloads/index.js";
import { SystemClock, type Clock } from "../core/clock.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import { createLogger, LOG_LEVELS, type Logger } from "../core/logger.js";

/** Synthetic workloads `coolfleet sim --workload` accepts (W5/W6 are traces: --trace; W8/W9 are scenarios). */
export const SIM_WORKLOAD_IDS: readonly WorkloadId[] = ["W1", "W2", "W3", "W4", "W7", "W10"];
const MAX_HOSTS = 10_000;

/** The options as commander hands them over: strings, unchecked. */
export interface SimCliOptions {
  hosts?: string;
  root?: string;
  seed: string;
  profile?: string;
  workload?: string;
  trace?: string;
  speed: string;
  stepS: string;
  logLevel: string;
}

/** Checked options for one `coolfleet sim` run. */
export interface SimRunOptions {
  hosts: number;
  root: string;
  seed: number;
  profiles: string[];
  /** Workload ids, or one trace file. */
  workloads: WorkloadId[];
  traceFile?: string;
  speed: number;
  stepS: number;
  logLevel: LevelWithSilent;
}

export function registerSimCommand(program: Command): void {
  program
    .command("sim")
    .description("run simulated hosts: one sysfs/procfs tree per host under --root, for pointing agents at (agent --root <root>/<host id>)")
    .option("--hosts <n>", "number of simulated hosts (required)")
    .option("--root <dir>", "directory the host trees are created in, one subdirectory per host (required)")
    .option("--seed <n>", "seed for every random choice: same seed, same fleet", "1")
    .option("--profile <ids>", "host profile ids, comma-separated, cycled over the hosts (default poweredge-r740-air)")
    .option("--workload <ids>", `workloads, comma-separated, cycled over the hosts (${SIM_WORKLOAD_IDS.join(", ")})`)
    .option("--trace <file>", "replay a CSV trace (t_s,cpu_util,disk_mbps,inlet_c) on every host instead of --workload")
    .option("--speed <x>", "simulated seconds per wall-clock second", "1")
    .option("--step-s <s>", "simulated seconds per physics step", "0.5")
    .option("--log-level <level>", `one of ${LOG_LEVELS.join(", ")}`, "info")
    .action(async (raw: SimCliOptions) => {
      const { listProfiles } = await import("../../firmware-sim/profiles/index.js");
      const options = parseSimOptions(raw, listProfiles());
      const logger = createLogger(options.logLevel, "coolfleet-sim");
      const fleet = await startSimFleet(options, new SystemClock(), logger, (line) => process.stdout.write(line));
      await untilSignal(["SIGINT", "SIGTERM"], (signal) => {
        logger.info({ signal }, "sim: stopping");
        fleet.stop();
      });
    });
}

/** Checks the command line; every problem is a UsageInvalid naming the option. */
export function parseSimOptions(raw: SimCliOptions, knownProfiles: readonly string[]): SimRunOptions {
  if (raw.hosts === undefined) throw usage("--hosts is required (how many simulated hosts to run)");
  if (raw.root === undefined || raw.root.trim() === "") throw usage("--root is required (directory for the host trees)");
  const hosts = wholeNumber("--hosts", raw.hosts, 1, MAX_HOSTS);
  const seed = wholeNumber("--seed", raw.seed, 0, Number.MAX_SAFE_INTEGER);
  const speed = positiveNumber("--speed", raw.speed);
  const stepS = positiveNumber("--step-s", raw.stepS);
  if (stepS > 10) throw usage(`--step-s must be at most 10 simulated seconds; got ${raw.stepS}`);
  if (!(LOG_LEVELS as readonly string[]).includes(raw.logLevel)) {
    throw usage(`--log-level must be one of ${LOG_LEVELS.join(", ")}; got "${raw.logLevel}"`);
  }
  const profiles = raw.profile === undefined ? [] : list("--profile", raw.profile);
  for (const id of profiles) {
    if (!knownProfiles.includes(id)) throw usage(`--profile: unknown profile "${id}"; known profiles: ${knownProfiles.join(", ")}`);
  }
  if (raw.trace !== undefined && raw.workload !== undefined) throw usage("--trace and --workload exclude each other: a trace is the workload");
  const workloads = raw.workload === undefined ? [] : list("--workload", raw.workload);
  for (const id of workloads) {
    if (!(SIM_WORKLOAD_IDS as readonly string[]).includes(id)) throw usage(`--workload: unknown workload "${id}"; known: ${SIM_WORKLOAD_IDS.join(", ")}`);
  }
  return {
    hosts,
    root: raw.root,
    seed,
    profiles,
    workloads: workloads as WorkloadId[],
    ...(raw.trace !== undefined ? { traceFile: raw.trace } : {}),
    speed,
    stepS,
    logLevel: raw.logLevel as LevelWithSilent,
  };
}

/** Builds and starts the fleet, and prints one line per host: id, profile, workload, tree path. */
export async function startSimFleet(options: SimRunOptions, clock: Clock, logger: Logger, print: (line: string) => void): Promise<SimFleet> {
  const [{ SimFleet }, { loadTraceCsv }] = await Promise.all([import("../../firmware-sim/fleet.js"), import("../../firmware-sim/workloads/index.js")]);
  const trace: Workload | undefined = options.traceFile !== undefined ? loadTraceCsv(options.traceFile) : undefined;
  const fleet = new SimFleet({
    hosts: options.hosts,
    root: options.root,
    seed: options.seed,
    ...(options.profiles.length > 0 ? { profiles: options.profiles } : {}),
    ...(trace ? { workloads: [trace] } : options.workloads.length > 0 ? { workloads: options.workloads } : {}),
    clock,
    speed: options.speed,
    stepS: options.stepS,
    logger,
  });
  for (const device of fleet.hosts()) {
    print(`${device.hostId}\t${device.profile.id}\t${device.workload.name}\t${device.root}\n`);
  }
  warnIfOnDisk(options.root, logger);
  fleet.start();
  return fleet;
}

// statfs f_type of the in-memory filesystems.
const MEMORY_FS_TYPES = new Set([0x01021994 /* tmpfs */, 0x858458f6 /* ramfs */]);

/**
 * Every sensor update replaces a file (write + rename); on a disk filesystem such as ext4 each replace also
 * starts a writeback, about ten times the CPU of tmpfs. Say so once rather than let a large fleet crawl.
 */
function warnIfOnDisk(root: string, logger: Logger): void {
  if (process.platform !== "linux") return;
  try {
    const { type } = statfsSync(root);
    if (!MEMORY_FS_TYPES.has(type)) {
      logger.warn({ root }, "sim: --root is not on tmpfs; file updates cost far more CPU on disk (use e.g. /dev/shm or $XDG_RUNTIME_DIR)");
    }
  } catch {
    // Only advice: a root we cannot statfs still works.
  }
}

/** Resolves once one of the signals arrives, after running onSignal; removes its handlers. */
function untilSignal(signals: NodeJS.Signals[], onSignal: (signal: NodeJS.Signals) => void): Promise<void> {
  return new Promise((resolve) => {
    const handler = (signal: NodeJS.Signals): void => {
      for (const s of signals) process.off(s, handler);
      onSignal(signal);
      resolve();
    };
    for (const s of signals) process.on(s, handler);
  });
}

function list(option: string, value: string): string[] {
  const items = value.split(",").map((s) => s.trim());
  if (items.some((s) => s === "")) throw usage(`${option}: empty entry in "${value}"; separate ids with single commas`);
  return items;
}

function wholeNumber(option: string, value: string, min: number, max: number): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) throw usage(`${option} must be a whole number from ${min} to ${max}; got "${value}"`);
  return n;
}

function positiveNumber(option: string, value: string): number {
  const n = value.trim() === "" ? NaN : Number(value);
  if (!Number.isFinite(n) || n <= 0) throw usage(`${option} must be a positive number; got "${value}"`);
  return n;
}

function usage(message: string): CoolfleetError {
  return new CoolfleetError(ErrorCode.UsageInvalid, `sim: ${message}`);
}
