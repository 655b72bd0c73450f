import { CreateTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DynamoTelemetryStore, type DynamoStoreOptions } from "../../src/controller/store/dynamodb-telemetry-store.js";
import { ack, birth, command, describeTelemetryStoreContract, offline, T0, telemetry, BOOT_B } from "../contract/store-contract.js";
import { DYNALITE_CREDENTIALS, startDynalite, type Dynalite } from "../helpers/dynalite.js";

let dynalite: Dynalite;
let tableCount = 0;

beforeAll(async () => {
  dynalite = await startDynalite();
});
afterAll(async () => {
  await dynalite.close();
});

function options(over: Partial<DynamoStoreOptions> = {}): DynamoStoreOptions {
  return { tableName: `coolfleet-${++tableCount}`, region: "us-east-1", endpoint: dynalite.endpoint, createTable: true, credentials: DYNALITE_CREDENTIALS, ...over };
}

// A fresh table per test, as the SQLite suite opens a fresh database per test.
describeTelemetryStoreContract("dynamodb (dynalite)", () => DynamoTelemetryStore.open(options()));

describe("DynamoTelemetryStore", () => {
  it("keeps everything across close and reopen, duplicates included", async () => {
    const opts = options();
    const first = await DynamoTelemetryStore.open(opts);
    await first.upsertHost(birth("r740-01"));
    await first.appendTelemetry([telemetry("r740-01", 0), telemetry("r740-01", 1)]);
    await first.recordTransition({ hostId: "r740-01", from: "Setup", to: "Running", cause: "calibrated", atMs: T0 });
    await first.close();

    const second = await DynamoTelemetryStore.open({ ...opts, createTable: false });
    try {
      expect(await second.countTelemetry()).toBe(2);
      expect(await second.getHost("r740-01")).toMatchObject({ online: true, state: "Running", birth: birth("r740-01") });
      expect(await second.appendTelemetry([telemetry("r740-01", 1), telemetry("r740-01", 2)])).toEqual({ inserted: 1, duplicates: 1 });
      expect(await second.countTelemetry("r740-01")).toBe(3);
    } finally {
      await second.close();
    }
  });

  it("keeps the per-host message count right through retention", async () => {
    const store = await DynamoTelemetryStore.open(options());
    try {
      await store.appendTelemetry(Array.from({ length: 60 }, (_, s) => telemetry(s % 2 === 0 ? "r740-01" : "r740-02", s)));
      expect(await store.deleteRawBefore(T0 + 40_000)).toBe(40);
      expect(await store.countTelemetry()).toBe(20);
      expect(await store.countTelemetry("r740-01")).toBe(10);
      expect((await store.telemetryRange("r740-01", 0, Number.MAX_SAFE_INTEGER)).map((t) => t.seq)).toEqual([40, 42, 44, 46, 48, 50, 52, 54, 56, 58]);
    } finally {
      await store.close();
    }
  });

  it("keeps boot and command ids with '#' and '%' apart from the key fields around them", async () => {
    const store = await DynamoTelemetryStore.open(options());
    try {
      const odd = [telemetry("r740-01", 1, { boot: "boot#1%23#2" }), telemetry("r740-01", 2, { boot: "boot#1" }), telemetry("r740-01", 21, { boot: "boot#1" })];
      expect(await store.appendTelemetry(odd)).toEqual({ inserted: 3, duplicates: 0 });
      await store.recordCommand(command("r740-01", "c#1", 1), T0);
      await store.recordCommand(command("r740-01", "c", 2), T0);
      expect(await store.recordAck(ack("r740-01", "c"), T0 + 5)).toEqual({ outcome: "first", latencyMs: 5 });
      expect(await store.recordAck(ack("r740-01", "c#1"), T0 + 7)).toEqual({ outcome: "first", latencyMs: 7 });
    } finally {
      await store.close();
    }
  });

  it("decides presence on what is stored when two controllers race (conditional on the version read)", async () => {
    const opts = options();
    const a = await DynamoTelemetryStore.open(opts);
    const b = await DynamoTelemetryStore.open({ ...opts, createTable: false });
    try {
      await a.upsertHost(birth("r740-01", BOOT_B, T0));
      const results = await Promise.all([a.upsertHost(offline("r740-01", BOOT_B, T0 + 10)), b.upsertHost(birth("r740-01", BOOT_B, T0 + 5))]);
      expect(results.map((r) => r.applied)).toContain(true);
      // Whatever the order, a later offline of the same boot is never undone by an older birth.
      const host = await a.getHost("r740-01");
      expect(host).toMatchObject({ boot: BOOT_B, online: false, offlineReason: "lost", lastSeenMs: T0 + 10 });
    } finally {
      await a.close();
      await b.close();
    }
  });

  it("derives the CPU temperature from the manifest in force when the message was stored", async () => {
    const store = await DynamoTelemetryStore.open(options());
    try {
      await store.appendTelemetry([telemetry("r740-01", 0)]);
      await store.upsertHost(birth("r740-01"));
      await store.appendTelemetry([telemetry("r740-01", 1)]);
      await store.rollUp(1_000, T0 + 2_000);
      expect((await store.rollupRange("r740-01", 1_000, T0, T0 + 2_000)).map((b) => b.cpuMaxCMax)).toEqual([null, 60]);
    } finally {
      await store.close();
    }
  });

  it("rejects (does not throw) once closed", async () => {
    const store = await DynamoTelemetryStore.open(options());
    await store.close();
    const pending = store.appendTelemetry([telemetry("r740-01", 0)]);
    await expect(pending).rejects.toThrow(/not open/);
    await expect(store.countTelemetry()).rejects.toThrow(/not open/);
  });

  it("rejects (does not throw) when the endpoint stops answering, so the caller can retry", async () => {
    const store = await DynamoTelemetryStore.open(options({ maxAttempts: 1 }));
    await dynalite.close();
    try {
      const pending = store.appendTelemetry([telemetry("r740-01", 0)]);
      await expect(pending).rejects.toBeInstanceOf(Error);
      await expect(store.listHosts()).rejects.toBeInstanceOf(Error);
    } finally {
      dynalite = await startDynalite();
      await store.close();
    }
  });
});

describe("DynamoTelemetryStore.open", () => {
  it("names the table and the key to set when the table does not exist", async () => {
    await expect(DynamoTelemetryStore.open(options({ tableName: "no-such-table", createTable: false }))).rejects.toThrow(
      /DynamoDB table no-such-table \(region us-east-1, endpoint http:\/\/127\.0\.0\.1:\d+\): the table does not exist; .*store\.dynamodb\.createTable: true/,
    );
  });

  it("refuses a table with another key schema", async () => {
    const client = new DynamoDBClient({ region: "us-east-1", endpoint: dynalite.endpoint, credentials: DYNALITE_CREDENTIALS });
    await client.send(
      new CreateTableCommand({
        TableName: "someone-elses",
        AttributeDefinitions: [{ AttributeName: "id", AttributeType: "S" }],
        KeySchema: [{ AttributeName: "id", KeyType: "HASH" }],
        BillingMode: "PAY_PER_REQUEST",
      }),
    );
    client.destroy();
    await expect(DynamoTelemetryStore.open(options({ tableName: "someone-elses", createTable: true }))).rejects.toThrow(/its key schema is id:HASH, expected pk \(HASH\), sk \(RANGE\)/);
  });
});
