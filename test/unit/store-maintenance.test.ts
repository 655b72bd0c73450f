import cron from "node-cron";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { runRetention, runRollUp, type RetentionPolicy } from "../../src/controller/jobs/maintenance-jobs.js";
import { scheduleMaintenance } from "../../src/controller/jobs/schedule-maintenance.js";
import { SqliteTelemetryStore } from "../../src/controller/store/sqlite-telemetry-store.js";
import { ErrorCode, isCoolfleetError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import { ack, birth, command, features, T0, telemetry } from "../contract/store-contract.js";

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const logger = silentLogger();

describe("maintenance jobs", () => {
  let store: SqliteTelemetryStore;

  beforeEach(async () => {
    store = new SqliteTelemetryStore(":memory:");
    await store.upsertHost(birth("r740-01"));
    // One message every 30 s for two hours.
    await store.appendTelemetry(Array.from({ length: 240 }, (_, i) => telemetry("r740-01", i, { ts: T0 + i * 30_000 })));
    // Ten-second feature windows every ten minutes.
    await store.appendFeatures(Array.from({ length: 12 }, (_, i) => features("r740-01", T0 + i * 10 * MINUTE_MS)));
    // A command acked at the start, one at the end; a transition at each end.
    await store.recordCommand(command("r740-01", "c-early", 1), T0);
    await store.recordAck(ack("r740-01", "c-early"), T0 + 200);
    await store.recordCommand(command("r740-01", "c-late", 2), T0 + 110 * MINUTE_MS);
    await store.recordAck(ack("r740-01", "c-late"), T0 + 110 * MINUTE_MS + 200);
    await store.recordTransition({ hostId: "r740-01", from: null, to: "Setup", cause: "birth", atMs: T0 });
    await store.recordTransition({ hostId: "r740-01", from: "Setup", to: "Running", cause: "calibrated", atMs: T0 + 110 * MINUTE_MS });
  });

  afterEach(async () => {
    await store.close();
  });

  it("rolls up only buckets that ended a grace period ago", async () => {
    const nowMs = T0 + 10 * MINUTE_MS + 30_000;
    expect(await runRollUp(store, { bucketMs: MINUTE_MS, graceMs: 2 * MINUTE_MS }, nowMs, logger)).toEqual({
      buckets: 8,
      samples: 16,
      doneBeforeMs: T0 + 8 * MINUTE_MS,
    });
  });

  it("deletes raw telemetry and features past retention, and keeps what is younger", async () => {
    const policy: RetentionPolicy = { bucketMs: MINUTE_MS, graceMs: 2 * MINUTE_MS, rawRetentionMs: HOUR_MS, featureRetentionMs: 30 * MINUTE_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS };
    const nowMs = T0 + 2 * HOUR_MS;
    expect(await runRetention(store, policy, nowMs, logger)).toEqual({
      rawDeleted: 120,
      featuresDeleted: 9,
      commandsDeleted: 2,
      transitionsDeleted: 1,
      rawCutMs: T0 + HOUR_MS,
      featureCutMs: T0 + 90 * MINUTE_MS,
    });
    expect(await store.countTelemetry()).toBe(120);
    expect((await store.telemetryRange("r740-01", 0, Number.MAX_SAFE_INTEGER, 1))[0]?.ts).toBe(T0 + HOUR_MS);
    expect((await store.featuresRange("r740-01", 0, Number.MAX_SAFE_INTEGER)).map((f) => (f.windowStartMs - T0) / MINUTE_MS)).toEqual([90, 100, 110]);
    expect(await store.commandStats()).toMatchObject({ sent: 1, unacked: 0 });
    expect((await store.transitions("r740-01")).map((t) => t.to)).toEqual(["Running"]);
    // What was deleted is still summarised.
    expect(await store.rollupRange("r740-01", MINUTE_MS, T0, T0 + HOUR_MS)).toHaveLength(60);
  });

  it("never deletes raw telemetry that is not rolled up, whatever the retention says", async () => {
    const policy: RetentionPolicy = { bucketMs: HOUR_MS, graceMs: 0, rawRetentionMs: 1, featureRetentionMs: HOUR_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS };
    const nowMs = T0 + 90 * MINUTE_MS;
    const result = await runRetention(store, policy, nowMs, logger);
    // One whole hour bucket is rolled up; the half hour after it is not, so it stays.
    expect(result).toMatchObject({ rawCutMs: T0 - (T0 % HOUR_MS) + HOUR_MS });
    const rolledUp = await store.rollupRange("r740-01", HOUR_MS, 0, Number.MAX_SAFE_INTEGER);
    const rolledSamples = rolledUp.reduce((n, b) => n + b.samples, 0);
    expect(result.rawDeleted).toBe(rolledSamples);
    expect(await store.countTelemetry()).toBe(240 - rolledSamples);
  });
});

describe("scheduleMaintenance", () => {
  it("refuses a bad cron expression with a config error naming the key", () => {
    const store = new SqliteTelemetryStore(":memory:");
    try {
      scheduleMaintenance(store, { rollUpCron: "every minute", retentionCron: "0 * * * *", rawRetentionMs: HOUR_MS, featureRetentionMs: HOUR_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS }, logger);
      expect.unreachable("scheduleMaintenance accepted a bad cron expression");
    } catch (err) {
      expect(isCoolfleetError(err, ErrorCode.ConfigInvalid)).toBe(true);
      expect((err as Error).message).toMatch(/^maintenance rollUpCron: "every minute" is not a cron expression/);
    }
    expect(() =>
      scheduleMaintenance(store, { rollUpCron: "* * * * *", retentionCron: "0 * * * *", rawRetentionMs: 0, featureRetentionMs: HOUR_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS }, logger),
    ).toThrow(/rawRetentionMs: must be a positive number of ms, got 0/);
    expect(cron.getTasks().size).toBe(0);
    void store.close();
  });

  it("registers one task per job and removes both on stop", async () => {
    const store = new SqliteTelemetryStore(":memory:");
    const before = cron.getTasks().size;
    const stop = scheduleMaintenance(store, { rollUpCron: "* * * * *", retentionCron: "17 * * * *", rawRetentionMs: HOUR_MS, featureRetentionMs: HOUR_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS }, logger);
    expect([...cron.getTasks().values()].map((t) => t.name).sort()).toEqual(["coolfleet-retention", "coolfleet-rollup"]);
    await stop();
    expect(cron.getTasks().size).toBe(before);
    await store.close();
  });
});
