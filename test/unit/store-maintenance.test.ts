import cron from "node-cron";
import { pino } from "pino";
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
    const policy: RetentionPolicy = { bucketMs: MINUTE_MS, graceMs: 2 * MINUTE_MS, rawRetentionMs: HOUR_MS, rollUpRetentionMs: 2 * HOUR_MS, featureRetentionMs: 30 * MINUTE_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS };
    const nowMs = T0 + 2 * HOUR_MS;
    expect(await runRetention(store, policy, nowMs, logger)).toEqual({
      rawDeleted: 120,
      rollupsDeleted: 0,
      featuresDeleted: 9,
      commandsDeleted: 2,
      transitionsDeleted: 1,
      rawCutMs: T0 + HOUR_MS,
      rollupCutMs: T0,
      featureCutMs: T0 + 90 * MINUTE_MS,
      // An in-memory store has no file to give space back to.
      reclaimedBytes: 0,
    });
    expect(await store.countTelemetry()).toBe(120);
    expect((await store.telemetryRange("r740-01", 0, Number.MAX_SAFE_INTEGER, 1))[0]?.ts).toBe(T0 + HOUR_MS);
    expect((await store.featuresRange("r740-01", 0, Number.MAX_SAFE_INTEGER)).map((f) => (f.windowStartMs - T0) / MINUTE_MS)).toEqual([90, 100, 110]);
    expect(await store.commandStats()).toMatchObject({ sent: 1, unacked: 0 });
    expect((await store.transitions("r740-01")).map((t) => t.to)).toEqual(["Running"]);
    // What was deleted is still summarised.
    expect(await store.rollupRange("r740-01", MINUTE_MS, T0, T0 + HOUR_MS)).toHaveLength(60);
  });

  it("deletes roll-ups of every bucket size that ended before their retention, logs how many, and keeps the later ones", async () => {
    const nowMs = T0 + 150 * MINUTE_MS;
    // Two-minute buckets from an earlier job (T0 is a whole even minute); retention rolls up the one-minute ones.
    expect(await runRollUp(store, { bucketMs: 2 * MINUTE_MS, graceMs: 0 }, nowMs, logger)).toMatchObject({ buckets: 60 });
    const lines: Array<Record<string, unknown>> = [];
    const recording = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    const policy: RetentionPolicy = { bucketMs: MINUTE_MS, graceMs: 2 * MINUTE_MS, rawRetentionMs: 30 * MINUTE_MS, rollUpRetentionMs: 90 * MINUTE_MS, featureRetentionMs: HOUR_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS };

    const result = await runRetention(store, policy, nowMs, recording);
    // Cut at T0 + 60 min: 60 one-minute and 30 two-minute buckets ended at or before it.
    expect(result).toMatchObject({ rollupsDeleted: 90, rollupCutMs: T0 + HOUR_MS, rawDeleted: 240 });
    expect(lines.find((l) => l["msg"] === "telemetry retention done")).toMatchObject({ rollupsDeleted: 90, rollupCutMs: T0 + HOUR_MS });
    const minutes = await store.rollupRange("r740-01", MINUTE_MS, 0, Number.MAX_SAFE_INTEGER);
    expect(minutes.map((b) => (b.bucketStartMs - T0) / MINUTE_MS)).toEqual(Array.from({ length: 60 }, (_, i) => 60 + i));
    const twoMinutes = await store.rollupRange("r740-01", 2 * MINUTE_MS, 0, Number.MAX_SAFE_INTEGER);
    expect(twoMinutes.map((b) => (b.bucketStartMs - T0) / MINUTE_MS)).toEqual(Array.from({ length: 30 }, (_, i) => 60 + 2 * i));

    // A later run has nothing more to delete before its own cut, and rolls nothing up again.
    expect(await runRetention(store, policy, nowMs + MINUTE_MS, logger)).toMatchObject({ rollupsDeleted: 1, rawDeleted: 0 });
    expect(await store.rollupRange("r740-01", MINUTE_MS, 0, T0 + HOUR_MS + MINUTE_MS)).toEqual([]);
  });

  it("never deletes raw telemetry that is not rolled up, whatever the retention says", async () => {
    const policy: RetentionPolicy = { bucketMs: HOUR_MS, graceMs: 0, rawRetentionMs: 1, rollUpRetentionMs: 2 * HOUR_MS, featureRetentionMs: HOUR_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS };
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
      scheduleMaintenance(store, { rollUpCron: "every minute", retentionCron: "0 * * * *", rawRetentionMs: HOUR_MS, rollUpRetentionMs: HOUR_MS, featureRetentionMs: HOUR_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS }, logger);
      expect.unreachable("scheduleMaintenance accepted a bad cron expression");
    } catch (err) {
      expect(isCoolfleetError(err, ErrorCode.ConfigInvalid)).toBe(true);
      expect((err as Error).message).toMatch(/^maintenance rollUpCron: "every minute" is not a cron expression/);
    }
    expect(() =>
      scheduleMaintenance(store, { rollUpCron: "* * * * *", retentionCron: "0 * * * *", rawRetentionMs: 0, rollUpRetentionMs: HOUR_MS, featureRetentionMs: HOUR_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS }, logger),
    ).toThrow(/rawRetentionMs: must be a positive number of ms, got 0/);
    expect(() =>
      scheduleMaintenance(store, { rollUpCron: "* * * * *", retentionCron: "0 * * * *", rawRetentionMs: HOUR_MS, rollUpRetentionMs: Number.NaN, featureRetentionMs: HOUR_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS }, logger),
    ).toThrow(/rollUpRetentionMs: must be a positive number of ms, got NaN/);
    expect(() =>
      scheduleMaintenance(store, { rollUpCron: "* * * * *", retentionCron: "0 * * * *", rawRetentionMs: 2 * HOUR_MS, rollUpRetentionMs: HOUR_MS, featureRetentionMs: HOUR_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS }, logger),
    ).toThrow(/rollUpRetentionMs \(3600000\) must be at least rawRetentionMs \(7200000\)/);
    expect(cron.getTasks().size).toBe(0);
    void store.close();
  });

  it("registers one task per job and removes both on stop", async () => {
    const store = new SqliteTelemetryStore(":memory:");
    const before = cron.getTasks().size;
    const stop = scheduleMaintenance(store, { rollUpCron: "* * * * *", retentionCron: "17 * * * *", rawRetentionMs: HOUR_MS, rollUpRetentionMs: HOUR_MS, featureRetentionMs: HOUR_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS }, logger);
    expect([...cron.getTasks().values()].map((t) => t.name).sort()).toEqual(["coolfleet-retention", "coolfleet-rollup"]);
    await stop();
    expect(cron.getTasks().size).toBe(before);
    await store.close();
  });
});

describe("SqliteTelemetryStore roll-up retention", () => {
  it("deletes roll-ups in chunks, size by size, without missing rows", async () => {
    const store = new SqliteTelemetryStore(":memory:", { deleteChunkRows: 7 });
    for (const host of ["r740-01", "r740-02"]) await store.appendTelemetry(Array.from({ length: 50 }, (_, s) => telemetry(host, s)));
    expect(await store.rollUp(1_000, T0 + 50_000)).toMatchObject({ buckets: 100 });
    expect(await store.rollUp(10_000, T0 + 50_000)).toMatchObject({ buckets: 10 });
    // Per host: 35 one-second buckets and 3 ten-second ones ([30 s, 40 s) ends after the cut).
    expect(await store.deleteRollupsBefore(T0 + 35_000)).toBe(76);
    for (const host of ["r740-01", "r740-02"]) {
      expect((await store.rollupRange(host, 1_000, 0, Number.MAX_SAFE_INTEGER)).map((b) => b.bucketStartMs - T0)).toEqual(Array.from({ length: 15 }, (_, i) => 35_000 + i * 1_000));
      expect((await store.rollupRange(host, 10_000, 0, Number.MAX_SAFE_INTEGER)).map((b) => b.bucketStartMs - T0)).toEqual([30_000, 40_000]);
    }
    await store.close();
  });
});
