import { execFile } from "node:child_process";
import { join } from "node:path";
import cron, { type ScheduledTask } from "node-cron";
import type { ControllerConfig } from "../../config/controller-schema.js";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { packageRoot } from "../../core/version.js";
import { MpcPolicy } from "../planner/policy-mpc.js";
import { selectTfBackend } from "./backend.js";
import { liquidRegistryDir, ModelRegistry } from "./model-registry.js";

/** A retraining run gets this long before it is killed (it trains on the wasm backend on a busy controller). */
const TRAIN_TIMEOUT_MS = 2 * 3_600_000;
/** How often the registry is checked for a version promoted from outside (`coolfleet model train --out DIR`). */
const REGISTRY_CHECK_MS = 60_000;

export interface ModelService {
  policy: MpcPolicy;
  /** Version served now for air-cooled hosts; undefined at cold start. */
  servingVersion(): string | undefined;
  /** Version served now for liquid-cooled hosts (`<dir>/liquid`); undefined until one is trained. */
  servingLiquidVersion(): string | undefined;
  /** Retrains from the store now (as the schedule does) and serves the result if it was promoted. */
  retrain(): Promise<void>;
  /** Serves the registry's promoted version if it is not the one served (a model trained on demand). */
  reload(): void;
  stop(): Promise<void>;
}

/**
 * The mpc policy with its models: the promoted versions from the registries — `dir` for air-cooled hosts,
 * `dir/liquid` for liquid-cooled ones (cold start: the fallback, B1, for the hosts of a kind without one) — and, on `trainCron`, `coolfleet model train` on the controller's store (SQLite or DynamoDB) in a child process — training
 * never holds the controller's event loop — after which a newly promoted version is served at once.
 */
export async function startModelService(opts: { config: ControllerConfig; logger: Logger }): Promise<ModelService> {
  const { config, logger } = opts;
  const { dir, trainCron } = config.planner.model;
  if (trainCron !== null && !cron.validate(trainCron)) {
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `planner.model.trainCron: "${trainCron}" is not a cron expression`);
  }
  const backend = await selectTfBackend((line) => logger.info(line));
  const registries = { air: new ModelRegistry(dir, "air"), liquid: new ModelRegistry(liquidRegistryDir(dir), "liquid") };
  const loaded = registries.air.current();
  const loadedLiquid = registries.liquid.current();
  const serving: { air: string | undefined; liquid: string | undefined } = { air: loaded?.version, liquid: loadedLiquid?.version };
  if (loaded) logger.info({ version: loaded.version, dir, backend, trainedOn: loaded.file.provenance.trainedOn }, "mpc: serving thermal model");
  else logger.warn({ dir, backend }, "mpc: no promoted thermal model yet (cold start): every air-cooled host is planned by the fallback (B1) until one is trained");
  if (loadedLiquid) logger.info({ version: loadedLiquid.version, dir: registries.liquid.dir, trainedOn: loadedLiquid.file.provenance.trainedOn }, "mpc: serving thermal model for liquid-cooled hosts");
  const policy = new MpcPolicy(loaded?.model, {
    planPeriodMs: config.planner.periodMs,
    leasePeriods: config.planner.leasePeriods,
    liquidModel: loadedLiquid?.model,
    log: (line) => logger.info(line),
  });

  const reload = (): void => {
    for (const kind of ["air", "liquid"] as const) {
      const registry = registries[kind];
      try {
        const pointer = registry.currentPointer();
        if (!pointer || pointer.version === serving[kind]) continue;
        const next = registry.load(pointer.version);
        if (kind === "air") policy.useModel(next.model);
        else policy.useLiquidModel(next.model);
        logger.info({ version: next.version, cooling: kind, was: serving[kind] ?? "none", reason: pointer.reason }, "mpc: serving the newly promoted thermal model");
        serving[kind] = next.version;
      } catch (err) {
        logger.error({ err: err instanceof Error ? err.message : String(err), dir: registry.dir }, "mpc: cannot load the promoted thermal model; the current one stays");
      }
    }
  };
  let running: Promise<void> | undefined;
  const retrain = (): Promise<void> => {
    running ??= trainFromStore(config, logger)
      .catch((err: unknown) => logger.error({ err: err instanceof Error ? err.message : String(err) }, "mpc: retraining failed; the current model stays"))
      .finally(() => {
        running = undefined;
        reload();
      });
    return running;
  };
  const task: ScheduledTask | undefined = trainCron === null ? undefined : cron.schedule(trainCron, () => void retrain(), { name: "coolfleet-model-train", noOverlap: true });
  const registryCheck = setInterval(reload, REGISTRY_CHECK_MS);
  registryCheck.unref();
  return {
    policy,
    servingVersion: () => serving.air,
    servingLiquidVersion: () => serving.liquid,
    retrain,
    reload,
    async stop() {
      clearInterval(registryCheck);
      await task?.stop();
      await running;
    },
  };
}

/**
 * The `coolfleet model train` options that read this controller's store: its SQLite file, or its DynamoDB table
 * (the child finds the AWS credentials the way the controller did, in the environment it inherits).
 */
function trainStoreArgs(store: ControllerConfig["store"]): string[] {
  if (store.kind === "dynamodb") {
    const table = store.dynamodb;
    if (!table) throw new Error("store.dynamodb: is required with kind dynamodb");
    return ["--dynamodb-table", table.tableName, "--dynamodb-region", table.region, ...(table.endpoint !== undefined ? ["--dynamodb-endpoint", table.endpoint] : [])];
  }
  if (store.path === ":memory:") throw new Error('retraining reads the store from another process: store.path ":memory:" cannot be read there');
  return ["--store", store.path];
}

/** Runs `coolfleet model train <store> --out DIR`; rejects with its output when it fails. */
function trainFromStore(config: ControllerConfig, logger: Logger): Promise<void> {
  let storeArgs: string[];
  try {
    storeArgs = trainStoreArgs(config.store);
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
  const entry = join(packageRoot(), "dist/src/cli/main.js");
  const args = [entry, "model", "train", ...storeArgs, "--out", config.planner.model.dir];
  logger.info({ command: ["node", ...args].join(" ") }, "mpc: retraining the thermal model from the store");
  return new Promise((resolve, reject) => {
    execFile(process.execPath, args, { timeout: TRAIN_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`${err.message.split("\n")[0] ?? "model train failed"}: ${String(stderr).trim().split("\n").slice(-3).join(" | ")}`));
        return;
      }
      logger.info({ result: String(stdout).trim() }, "mpc: retraining finished");
      resolve();
    });
  });
}
