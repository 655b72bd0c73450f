import Database from "better-sqlite3";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { migrate } from "../../src/controller/store/sqlite-migrate.js";
import { MIGRATIONS } from "../../src/controller/store/sqlite-schema.js";
import { SqliteTelemetryStore } from "../../src/controller/store/sqlite-telemetry-store.js";
import { ManualClock } from "../../src/core/clock.js";
import { birth, describeTelemetryStoreContract, features, T0, telemetry } from "../contract/store-contract.js";

const dir = mkdtempSync(join(tmpdir(), "coolfleet-store-"));
let fileCount = 0;
const freshFile = (): string => join(dir, `store-${++fileCount}.db`);

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describeTelemetryStoreContract("sqlite :memory:", () => Promise.resolve(new SqliteTelemetryStore(":memory:")));
describeTelemetryStoreContract("sqlite file", () => Promise.resolve(new SqliteTelemetryStore(freshFile())));

describe("SqliteTelemetryStore", () => {
  it("keeps everything across close and reopen of the file (WAL)", async () => {
    const path = freshFile();
    const first = new SqliteTelemetryStore(path);
    await first.upsertHost(birth("r740-01"));
    await first.appendTelemetry([telemetry("r740-01", 0), telemetry("r740-01", 1)]);
    await first.appendFeatures([features("r740-01", T0)]);
    await first.recordTransition({ hostId: "r740-01", from: "Setup", to: "Running", cause: "calibrated", atMs: T0 });
    await first.close();

    const second = new SqliteTelemetryStore(path);
    expect(await second.countTelemetry("r740-01")).toBe(2);
    expect(await second.telemetryRange("r740-01", T0, T0 + 2_000)).toEqual([telemetry("r740-01", 0), telemetry("r740-01", 1)]);
    expect(await second.featuresRange("r740-01", T0, T0 + 1)).toEqual([features("r740-01", T0)]);
    expect(await second.getHost("r740-01")).toMatchObject({ online: true, state: "Running", birth: birth("r740-01") });
    // The unique key survives too: a redelivery after a controller restart is still a duplicate.
    expect(await second.appendTelemetry([telemetry("r740-01", 1)])).toEqual({ inserted: 0, duplicates: 1 });
    await second.close();
  });

  it("sees rows committed by another connection before close (WAL readers)", async () => {
    const path = freshFile();
    const writer = new SqliteTelemetryStore(path);
    await writer.appendTelemetry([telemetry("r740-01", 0)]);
    const reader = new SqliteTelemetryStore(path);
    expect(await reader.countTelemetry()).toBe(1);
    await reader.close();
    await writer.close();
  });

  it("opens in WAL mode with foreign keys and records each schema version once", async () => {
    const path = freshFile();
    await new SqliteTelemetryStore(path, { clock: new ManualClock(T0) }).close();
    await new SqliteTelemetryStore(path).close();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
      expect(db.prepare("SELECT version, applied_at_ms AS appliedAtMs FROM schema_version").all()).toEqual([
        { version: 1, appliedAtMs: T0 },
        { version: 2, appliedAtMs: T0 },
      ]);
    } finally {
      db.close();
    }
  });

  it("refuses a database from a newer schema, naming the file", () => {
    const path = freshFile();
    new SqliteTelemetryStore(path).close().catch(() => undefined);
    const db = new Database(path);
    db.prepare("INSERT INTO schema_version (version, applied_at_ms) VALUES (99, 0)").run();
    db.close();
    expect(() => new SqliteTelemetryStore(path)).toThrow(new RegExp(`store ${path}: schema version 99 is newer than this coolfleet knows \\(2\\)`));
  });

  it("upgrades a version 1 database in place: its telemetry reads back, new messages keep alarms and the historical mark", async () => {
    const path = freshFile();
    const v1 = new Database(path);
    migrate(v1, MIGRATIONS.slice(0, 1), 0, path);
    v1.prepare("INSERT INTO hosts (host_id, state) VALUES ('r740-01', 'Setup')").run();
    v1.prepare(
      `INSERT INTO telemetry (host, boot, seq, ts, period_ms, mode, fan_pct, pump_pct, cmd_seq, dropped, readings)
       VALUES ('r740-01', @boot, 0, @ts, 1000, 'local', 40, NULL, NULL, 0, @readings)`,
    ).run({ boot: telemetry("r740-01", 0).boot, ts: telemetry("r740-01", 0).ts, readings: JSON.stringify(telemetry("r740-01", 0).readings) });
    v1.close();
    const store = new SqliteTelemetryStore(path);
    try {
      const late = telemetry("r740-01", 1, { historical: true, alarms: [{ kind: "fan_failure", source: "fan3", sinceMs: T0 }] });
      await store.appendTelemetry([late]);
      expect(await store.telemetryRange("r740-01", T0 - 1, T0 + 10_000)).toEqual([telemetry("r740-01", 0), late]);
    } finally {
      await store.close();
    }
  });

  it("rejects (does not throw) once closed", async () => {
    const store = new SqliteTelemetryStore(":memory:");
    await store.close();
    await expect(store.appendTelemetry([telemetry("r740-01", 0)])).rejects.toThrow(/not open/);
    await expect(store.countTelemetry()).rejects.toThrow(/not open/);
  });

  it("deletes in chunks without missing rows", async () => {
    const store = new SqliteTelemetryStore(":memory:", { deleteChunkRows: 7 });
    await store.appendTelemetry(Array.from({ length: 50 }, (_, s) => telemetry("r740-01", s)));
    expect(await store.deleteRawBefore(T0 + 35_000)).toBe(35);
    expect(await store.countTelemetry()).toBe(15);
    await store.close();
  });

  it("derives the CPU temperature from the manifest in force when the message was stored", async () => {
    const store = new SqliteTelemetryStore(":memory:");
    await store.appendTelemetry([telemetry("r740-01", 0)]); // before the birth: no roles known
    await store.upsertHost(birth("r740-01"));
    await store.appendTelemetry([telemetry("r740-01", 1)]);
    await store.rollUp(1_000, T0 + 2_000);
    const buckets = await store.rollupRange("r740-01", 1_000, T0, T0 + 2_000);
    expect(buckets.map((b) => b.cpuMaxCMax)).toEqual([null, 60]);
    await store.close();
  });
});

describe("SqliteTelemetryStore open errors", () => {
  it("says which file could not be opened and what to check", () => {
    const path = join(dir, "no-such-dir", "store.db");
    expect(() => new SqliteTelemetryStore(path)).toThrow(`store ${path}: cannot open the database`);
    expect(() => new SqliteTelemetryStore(path)).toThrow(/check that its directory exists and is writable/);
  });
});
