import type { Command } from "commander";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import type { CoolingKind } from "../controller/model/model-layout.js";
import type { PipelineData } from "../controller/model/train-pipeline.js";
import { parsePositiveNumber } from "./options.js";
import { trainingStore, type TrainingStoreOptions } from "./training-store.js";

export interface ModelTrainCliOptions extends TrainingStoreOptions {
  sim?: boolean;
  out: string;
  hosts: string;
  epochs: string;
  hidden?: string;
  batch: string;
  seed: string;
  cooling?: string;
  envelopeRuns?: string;
  profile?: string;
  hours?: string;
  maxHosts?: string;
}

/**
 * Hidden units per layer by kind of model, when --hidden is not given and the registry serves no model yet (one that
 * does keeps its width, so each candidate is judged against a model of its own size). The liquid model is narrower:
 * its grid is 80 fan × pump candidates per host against the air model's 33, and at 32 units it predicts within 10 % of
 * 64 units on validation for a quarter of the second layer's work (docs/model.md, "Width of the liquid model").
 */
export const DEFAULT_HIDDEN: Readonly<Record<CoolingKind, number>> = { air: 64, liquid: 32 };

/** From a store, by default: the last day of at most 50 hosts of each kind (docs/model.md, "Training from a store"). */
const STORE_DEFAULT_HOURS = 24;
const STORE_DEFAULT_MAX_HOSTS = 50;

const COOLING_CHOICES = ["air", "liquid", "all"] as const;

const usage = (message: string): CoolfleetError => new CoolfleetError(ErrorCode.UsageInvalid, message);

/** A progress bar on one stderr line, redrawn in place. */
function progressLine(label: string, done: number, total: number, detail: string): void {
  const width = 24;
  const filled = Math.round((width * done) / Math.max(1, total));
  process.stderr.write(`\r${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${detail}   `);
}

async function trainCommand(raw: ModelTrainCliOptions): Promise<void> {
  const source = trainingStore(raw);
  if (raw.sim === true && source) throw usage(`--sim and ${raw.store !== undefined ? "--store" : "--dynamodb-table"} exclude each other: train on simulated runs or on a store`);
  if (raw.sim !== true && !source) {
    throw usage("say where the training data comes from: --sim (closed-loop simulator runs), --store DB (a controller's SQLite store) or --dynamodb-table NAME --dynamodb-region REGION (a controller's DynamoDB table)");
  }
  const hosts = parsePositiveNumber("--hosts", raw.hosts, { integer: true, max: 200 });
  const epochs = parsePositiveNumber("--epochs", raw.epochs, { integer: true, max: 1000 });
  const hiddenGiven = raw.hidden === undefined ? undefined : parsePositiveNumber("--hidden", raw.hidden, { integer: true, max: 512 });
  const batchSize = parsePositiveNumber("--batch", raw.batch, { integer: true, max: 65_536 });
  const seed = parsePositiveNumber("--seed", raw.seed, { integer: true, allowZero: true, max: 2 ** 31 });
  if (raw.envelopeRuns !== undefined && raw.sim !== true) throw usage("--envelope-runs adds simulated runs: it goes with --sim");
  const envelopeRuns = raw.envelopeRuns === undefined ? undefined : parsePositiveNumber("--envelope-runs", raw.envelopeRuns, { integer: true, allowZero: true, max: 100 });
  const cooling = raw.cooling ?? (raw.sim === true ? "air" : "all");
  if (!(COOLING_CHOICES as readonly string[]).includes(cooling)) throw usage(`--cooling must be one of ${COOLING_CHOICES.join(", ")}, got "${cooling}"`);
  if (raw.sim === true && cooling === "all") throw usage("--sim trains one kind of model per run: --cooling air or --cooling liquid");
  if (raw.profile !== undefined && raw.sim !== true) throw usage("--profile chooses the simulated machine: it goes with --sim");
  if (raw.sim === true && (raw.hours !== undefined || raw.maxHosts !== undefined)) throw usage("--hours and --max-hosts choose what is read from a store: they go with --store or --dynamodb-table");
  const hours = raw.hours === undefined ? STORE_DEFAULT_HOURS : parsePositiveNumber("--hours", raw.hours, { max: 24 * 400 });
  const maxHosts = raw.maxHosts === undefined ? STORE_DEFAULT_MAX_HOSTS : parsePositiveNumber("--max-hosts", raw.maxHosts, { integer: true, max: 100_000 });
  const log = (line: string): void => void process.stderr.write(`${line}\n`);
  const { liquidRegistryDir, ModelRegistry } = await import("../controller/model/model-registry.js");
  const kinds: CoolingKind[] = cooling === "all" ? ["air", "liquid"] : [cooling as CoolingKind];
  const registryDir = (kind: CoolingKind): string => (kind === "air" ? raw.out : liquidRegistryDir(raw.out));
  const hiddenFor = (kind: CoolingKind): number => hiddenGiven ?? new ModelRegistry(registryDir(kind), kind).currentHidden() ?? DEFAULT_HIDDEN[kind];

  if (raw.sim === true || !source) {
    const kind = kinds[0] ?? "air";
    const { simSplit } = await import("../../bench/closed-loop/training-data.js");
    const data = simSplit({ hosts, seed: 2000 + seed, cooling: kind, ...(envelopeRuns !== undefined ? { envelopeRuns } : {}), ...(raw.profile !== undefined ? { profileId: raw.profile } : {}), onRun: (workload, i, total) => progressLine("simulating", i + 1, total, workload) });
    process.stderr.write("\n");
    await trainAndReport(data, registryDir(kind), { hidden: hiddenFor(kind), epochs, batchSize, seed, log });
    return;
  }
  const { sequencesFromStore } = await import("../controller/model/store-sequences.js");
  const store = await source.open();
  const splits: { kind: CoolingKind; data: PipelineData }[] = [];
  try {
    for (const kind of kinds) {
      const split = await sequencesFromStore(store, source.label, kind, { sinceMs: Date.now() - hours * 3_600_000, maxHosts });
      if (split.hostsOfKind > 0) log(`${kind}-cooled hosts: reading ${split.hostsRead} of ${split.hostsOfKind} in ${source.label}, the last ${hours} h of each`);
      if (split.train.length === 0 && cooling === "all") {
        log(`no ${kind}-cooled hosts in ${source.label}: no ${kind} model trained`);
        continue;
      }
      splits.push({ kind, data: { ...split, trainedOn: source.label, cooling: kind } });
    }
  } finally {
    await store.close();
  }
  if (splits.length === 0) throw new CoolfleetError(ErrorCode.ModelDataInsufficient, `no hosts with telemetry in ${source.label}: nothing to train on`);
  for (const { data, kind } of splits) await trainAndReport(data, registryDir(kind), { hidden: hiddenFor(kind), epochs, batchSize, seed, log });
}

async function trainAndReport(data: PipelineData, out: string, opts: { hidden: number; epochs: number; batchSize: number; seed: number; log: (line: string) => void }): Promise<void> {
  const { hidden, epochs, batchSize, seed, log } = opts;
  const { trainEvaluateRegister } = await import("../controller/model/train-pipeline.js");
  const result = await trainEvaluateRegister(data, {
    registryDir: out,
    hidden,
    epochs,
    batchSize,
    seed,
    nowIso: new Date().toISOString(),
    log,
    onEpoch: (p) => progressLine("training", p.epoch, p.epochs, `loss ${p.trainLoss.toFixed(4)} validation ${p.validationLoss.toFixed(4)}`),
  });
  process.stderr.write("\n");
  const e = result.heldOut;
  // A horizon with no rows (no drive readings in the data) has no error to show.
  const f = (x: number | undefined): string => (x === undefined || !Number.isFinite(x) ? "–" : x.toFixed(3));
  const lines = [
    `${data.cooling ?? "air"} model ${result.version} in ${out} (backend ${result.backend}; ${result.rows.train} training rows, best epoch ${result.bestEpoch}, ${(result.trainingMs / 1000).toFixed(1)} s)`,
    `validation (${result.rows.validation} rows) MAE °C: cpu 10 s ${f(result.validation.maeC.cpuIn10C)}, 30 s ${f(result.validation.maeC.cpuIn30C)}, 60 s ${f(result.validation.maeC.cpuIn60C)}; drive 300 s ${f(result.validation.maeC.driveIn300C)}`,
    `held-out (${result.rows.heldOut} rows) MAE °C: cpu 10 s ${f(e.maeC.cpuIn10C)}, 30 s ${f(e.maeC.cpuIn30C)}, 60 s ${f(e.maeC.cpuIn60C)} (vs noise-free reading ${f(e.cpu60MaeVsCleanC)}); drive 60 s ${f(e.maeC.driveIn60C)}, 300 s ${f(e.maeC.driveIn300C)}${e.maeC.coolantIn60C !== undefined ? `; coolant 60 s ${f(e.maeC.coolantIn60C)} (persistence ${f(e.persistenceMaeC.coolantIn60C)})` : ""}`,
    `persistence MAE °C: cpu 10 s ${f(e.persistenceMaeC.cpuIn10C)}, 30 s ${f(e.persistenceMaeC.cpuIn30C)}, 60 s ${f(e.persistenceMaeC.cpuIn60C)}; drive 300 s ${f(e.persistenceMaeC.driveIn300C)}`,
    ...Object.entries(result.heldOutBySource).map(([source, ev]) => `  ${source}: cpu 60 s ${f(ev.maeC.cpuIn60C)} (persistence ${f(ev.persistenceMaeC.cpuIn60C)}), drive 300 s ${f(ev.maeC.driveIn300C)}`),
    `batched inference ${(e.msPerRow * 1000).toFixed(2)} µs per row`,
    result.promotion.reason,
  ];
  process.stdout.write(`${lines.join("\n")}\n`);
}

export function registerModelCommand(program: Command): void {
  const model = program.command("model").description("the learned thermal model: train, evaluate, version (docs/model.md)");
  model
    .command("train")
    .description("train a thermal model, judge it on held-out data, save it as the next version and promote it if it beats the current one")
    .option("--sim", "train on closed-loop simulator runs of the training workloads (held out: W2, W5, W6, W8, W10)")
    .option("--store <db>", "train on a controller's SQLite store (time split per host: 70 % train, 10 % validation, 20 % held out)")
    .option("--dynamodb-table <name>", "train on a controller's DynamoDB table instead (same split; read only, never created; credentials from the AWS SDK's default chain)")
    .option("--dynamodb-region <region>", "the table's AWS region (with --dynamodb-table)")
    .option("--dynamodb-endpoint <url>", "another endpoint than AWS's, e.g. DynamoDB Local (with --dynamodb-table)")
    .option("--hours <h>", `from a store: only the last h hours of telemetry (default ${STORE_DEFAULT_HOURS})`)
    .option("--max-hosts <n>", `from a store: at most n hosts of each kind, spread evenly over the host ids (default ${STORE_DEFAULT_MAX_HOSTS})`)
    .option("--out <dir>", "model registry directory", "bench-results/models")
    .option("--hosts <n>", "simulated hosts per training run (--sim)", "18")
    .option("--epochs <n>", "training epochs", "40")
    .option("--hidden <n>", `hidden units per layer (default: the serving model's, else ${DEFAULT_HIDDEN.air} for the air model and ${DEFAULT_HIDDEN.liquid} for the liquid one)`)
    .option("--batch <n>", "mini-batch size", "512")
    .option("--seed <n>", "seed for the simulated runs and the weights", "1")
    .option("--envelope-runs <n>", "one-hour operating-envelope exploration runs added to the training runs (--sim; default 12, 0 for none)")
    .option("--profile <id>", "simulated machine to train on (--sim): a firmware-sim profile id of that kind of cooling (default poweredge-r740-air for air, poweredge-r750-liquid for liquid; also macpro-2019)")
    .option("--cooling <kind>", "which model: air (air-cooled hosts, into --out) or liquid (pump and coolant, into <out>/liquid); from a store also all (default there: every kind the store has)")
    .action(trainCommand);
  model
    .command("list")
    .description("the versions in a registry and which one serves")
    .option("--out <dir>", "model registry directory", "bench-results/models")
    .action(async (raw: { out: string }) => {
      const { ModelRegistry, liquidRegistryDir } = await import("../controller/model/model-registry.js");
      for (const [kind, dir] of [["air", raw.out], ["liquid", liquidRegistryDir(raw.out)]] as const) {
        const registry = new ModelRegistry(dir, kind);
        const current = registry.currentPointer();
        process.stdout.write(`${kind}-cooled hosts (${dir}):\n`);
        for (const version of registry.versions()) process.stdout.write(`  ${version}${version === current?.version ? `  current (${current.reason})` : ""}\n`);
        if (!current) process.stdout.write("  no current model (cold start: MPC plans these hosts with its fallback, B1)\n");
      }
    });
}
