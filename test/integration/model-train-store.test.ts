import { rmSync } from "node:fs";
import { join } from "node:path";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControllerConfig } from "../../src/config/controller-schema.js";
import { liquidRegistryDir, ModelRegistry } from "../../src/controller/model/model-registry.js";
import { startModelService } from "../../src/controller/model/model-service.js";
import { DynamoTelemetryStore } from "../../src/controller/store/dynamodb-telemetry-store.js";
import { SqliteTelemetryStore } from "../../src/controller/store/sqlite-telemetry-store.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { runCli } from "../helpers/cli.js";
import { DYNALITE_CREDENTIALS, startDynalite, type Dynalite } from "../helpers/dynalite.js";
import { storeAirFleet } from "../helpers/stored-fleet.js";

/**
 * `coolfleet model train` on a controller's store, SQLite or DynamoDB (dynalite), run as users run it, and the
 * controller's retraining on a DynamoDB store: the model is trained, judged, saved and promoted from what the store
 * holds. A small network and two epochs: this is about reading the store, not about accuracy (docs/model.md).
 */

const TINY = ["--epochs", "2", "--hidden", "8", "--batch", "128"];
const AWS_ENV = { AWS_ACCESS_KEY_ID: DYNALITE_CREDENTIALS.accessKeyId, AWS_SECRET_ACCESS_KEY: DYNALITE_CREDENTIALS.secretAccessKey };

let dir: string;
let dynalite: Dynalite;
const tableName = `train-${process.pid}`;
beforeAll(async () => {
  dir = scratchDir("coolfleet-model-train-store-");
  dynalite = await startDynalite();
  const table = await DynamoTelemetryStore.open({ tableName, region: "us-east-1", endpoint: dynalite.endpoint, credentials: DYNALITE_CREDENTIALS, createTable: true });
  try {
    await storeAirFleet(table, ["ddb-01", "ddb-02"]);
  } finally {
    await table.close();
  }
}, 120_000);
afterAll(async () => {
  await dynalite.close();
  rmSync(dir, { recursive: true, force: true });
});

async function train(args: string[], env?: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const cli = runCli(["model", "train", ...args, ...TINY], env);
  const { code } = await cli.exited;
  return { code, output: cli.output() };
}

describe("coolfleet model train from a controller's store", () => {
  it("trains on a SQLite store and promotes the first model, naming the store it came from", async () => {
    const file = join(dir, "controller.db");
    const store = new SqliteTelemetryStore(file);
    try {
      await storeAirFleet(store, ["sq-01", "sq-02"]);
    } finally {
      await store.close();
    }
    const out = join(dir, "sqlite-models");
    const { code, output } = await train(["--store", file, "--out", out]);
    expect(code, output).toBe(0);
    expect(output).toContain(`air model v0001 in ${out}`);
    expect(output).toMatch(/no liquid-cooled hosts in store:.*: no liquid model trained/);
    expect(output).toContain(`air-cooled hosts: reading 2 of 2 in store:${file}, the last 24 h of each`);
    const registry = new ModelRegistry(out);
    expect(registry.currentPointer()?.version).toBe("v0001");
    expect(registry.load("v0001").file.provenance.trainedOn).toBe(`store:${file}`);
  }, 120_000);

  it("trains on a DynamoDB table, read with the SDK's credentials from the environment", async () => {
    const out = join(dir, "dynamodb-models");
    const { code, output } = await train(["--dynamodb-table", tableName, "--dynamodb-region", "us-east-1", "--dynamodb-endpoint", dynalite.endpoint, "--out", out], AWS_ENV);
    expect(code, output).toBe(0);
    expect(output).toContain(`air model v0001 in ${out}`);
    const registry = new ModelRegistry(out);
    expect(registry.currentPointer()?.version).toBe("v0001");
    const file = registry.load("v0001").file;
    expect(file.provenance.trainedOn).toBe(`dynamodb:${tableName}`);
    // Two hosts' 70 % each, a row every 5 periods: the rows really came from the table.
    expect(file.provenance.trainRows).toBeGreaterThan(100);
  }, 120_000);

  it("reads at most --max-hosts hosts of a kind, and nothing older than --hours", async () => {
    const out = join(dir, "one-host-models");
    const { code, output } = await train(["--dynamodb-table", tableName, "--dynamodb-region", "us-east-1", "--dynamodb-endpoint", dynalite.endpoint, "--max-hosts", "1", "--out", out], AWS_ENV);
    expect(code, output).toBe(0);
    expect(output).toContain(`air-cooled hosts: reading 1 of 2 in dynamodb:${tableName}, the last 24 h of each`);
    const oneHostRows = new ModelRegistry(out).load("v0001").file.provenance.trainRows;
    const allRows = new ModelRegistry(join(dir, "dynamodb-models")).load("v0001").file.provenance.trainRows;
    expect(oneHostRows).toBeGreaterThan(0);
    expect(oneHostRows).toBeLessThan(allRows);
    // The table's telemetry ended moments ago and spans 22 minutes; its last 108 s give no training rows (those need
    // more than 121 periods in the first 70 %), and the error says so.
    const recent = await train(["--dynamodb-table", tableName, "--dynamodb-region", "us-east-1", "--dynamodb-endpoint", dynalite.endpoint, "--hours", "0.03", "--out", join(dir, "recent")], AWS_ENV);
    expect(recent.code).toBe(2);
    expect(recent.output).toContain("no training rows from dynamodb:");
  }, 120_000);

  it("reads a table as it is: one that does not exist is an error naming it, and is not created", async () => {
    const { code, output } = await train(["--dynamodb-table", "no-such-table", "--dynamodb-region", "us-east-1", "--dynamodb-endpoint", dynalite.endpoint, "--out", join(dir, "none")], AWS_ENV);
    expect(code).toBe(2);
    expect(output).toContain("--dynamodb-table: DynamoDB table no-such-table (region us-east-1");
    expect(output).toContain("the table does not exist");
    await expect(DynamoTelemetryStore.open({ tableName: "no-such-table", region: "us-east-1", endpoint: dynalite.endpoint, credentials: DYNALITE_CREDENTIALS })).rejects.toThrow(/does not exist/);
  }, 60_000);

  it.each([
    [["--dynamodb-table", tableName], "--dynamodb-table needs --dynamodb-region"],
    [["--dynamodb-table", "x", "--dynamodb-region", "us-east-1"], "--dynamodb-table: 3-255 of A-Z a-z 0-9 _ - ."],
    [["--dynamodb-table", tableName, "--dynamodb-region", "Europe West"], "--dynamodb-region: an AWS region such as eu-west-1"],
    [["--dynamodb-table", tableName, "--dynamodb-region", "us-east-1", "--dynamodb-endpoint", "localhost:8000"], "--dynamodb-endpoint: an http:// or https:// URL"],
    [["--dynamodb-region", "us-east-1"], "--dynamodb-region and --dynamodb-endpoint go with --dynamodb-table"],
    [["--store", "/nonexistent/controller.db", "--dynamodb-table", tableName, "--dynamodb-region", "us-east-1"], "--store and --dynamodb-table exclude each other"],
    [["--sim", "--dynamodb-table", tableName, "--dynamodb-region", "us-east-1"], "--sim and --dynamodb-table exclude each other"],
    [[], "--dynamodb-table NAME --dynamodb-region REGION"],
    [["--sim", "--hours", "6"], "--hours and --max-hosts choose what is read from a store"],
    [["--store", "/nonexistent/controller.db", "--hours", "0"], '--hours must be a number > 0 and ≤ 9600; got "0"'],
    [["--store", "/nonexistent/controller.db", "--max-hosts", "2.5"], '--max-hosts must be a whole number > 0'],
  ])("refuses %j with a usage error that says what to fix", async (args, message) => {
    const { code, output } = await train([...args, "--out", join(dir, "refused")]);
    expect(code).toBe(2);
    expect(output).toContain(message);
  });
});

describe("coolfleet model train: the network's width", () => {
  /** One simulated host per run, no envelope runs, one epoch: only the width of the saved model matters here. */
  /** Trains into `name` and returns the width of the version it saved (the last one). */
  async function simTrain(name: string, cooling: "air" | "liquid", extra: string[] = []): Promise<number> {
    const out = join(dir, name);
    const cli = runCli(["model", "train", "--sim", "--cooling", cooling, "--hosts", "1", "--envelope-runs", "0", "--epochs", "1", "--batch", "2048", "--out", out, ...extra]);
    const { code } = await cli.exited;
    expect(code, cli.output()).toBe(0);
    const registry = new ModelRegistry(cooling === "liquid" ? liquidRegistryDir(out) : out, cooling);
    return registry.load(registry.versions().at(-1) ?? "none").file.hidden;
  }

  it("is 64 units for a first air model and 32 for a first liquid one; --hidden overrides; a registry keeps its width", async () => {
    expect(await simTrain("width-air", "air")).toBe(64);
    expect(await simTrain("width-liquid", "liquid")).toBe(32);
    expect(await simTrain("width-16", "liquid", ["--hidden", "16"])).toBe(16);
    // Retraining without --hidden where a 16-unit model serves: the candidate is 16 units too.
    expect(await simTrain("width-16", "liquid")).toBe(16);
  }, 180_000);
});

describe("the controller's retraining on a DynamoDB store", () => {
  const saved: Record<string, string | undefined> = {};
  beforeAll(() => {
    // The training child inherits the controller's environment, where the SDK's default chain finds the credentials.
    for (const [key, value] of Object.entries(AWS_ENV)) {
      saved[key] = process.env[key];
      process.env[key] = value;
    }
  });
  afterAll(() => {
    for (const [key, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it("trains from the controller's table in a child process and serves the promoted model", async () => {
    const config = ControllerConfig.parse({
      version: 1,
      broker: { url: "mqtt://127.0.0.1:1" },
      store: { kind: "dynamodb", dynamodb: { region: "us-east-1", endpoint: dynalite.endpoint, tableName } },
      planner: { policy: "mpc", model: { dir: join(dir, "controller-models"), trainCron: null } },
    });
    const lines: Array<{ msg?: string; err?: string; command?: string }> = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg?: string }) });
    const models = await startModelService({ config, logger });
    try {
      expect(models.servingVersion()).toBeUndefined();
      await models.retrain();
      expect(lines.find((l) => l.msg?.startsWith("mpc: retraining failed"))?.err).toBeUndefined();
      expect(lines.find((l) => l.msg === "mpc: retraining the thermal model from the store")?.command).toContain(`--dynamodb-table ${tableName} --dynamodb-region us-east-1 --dynamodb-endpoint ${dynalite.endpoint}`);
      expect(models.servingVersion()).toBe("v0001");
    } finally {
      await models.stop();
    }
  }, 120_000);
});
