import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runRetention, type RetentionPolicy } from "../../src/controller/jobs/maintenance-jobs.js";
import { SqliteTelemetryStore } from "../../src/controller/store/sqlite-telemetry-store.js";
import type { Logger } from "../../src/core/logger.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { storeAirFleet } from "../helpers/stored-fleet.js";

/** A SQLite file gives the space of the rows retention deleted back to the file system (incremental auto-vacuum). */

const HOUR_MS = 3_600_000;
const POLICY: RetentionPolicy = { bucketMs: 60_000, graceMs: 0, rawRetentionMs: HOUR_MS, rollUpRetentionMs: 24 * HOUR_MS, featureRetentionMs: HOUR_MS, commandRetentionMs: HOUR_MS, transitionRetentionMs: HOUR_MS };

let dir: string;
beforeAll(() => {
  dir = scratchDir("coolfleet-sqlite-reclaim-");
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** The database file with its WAL: what the disk holds. */
const bytesOnDisk = (file: string): number => ["", "-wal"].reduce((sum, suffix) => sum + (statSync(file + suffix, { throwIfNoEntry: false })?.size ?? 0), 0);

function recording(): { logger: Logger; lines: Array<Record<string, unknown>> } {
  const lines: Array<Record<string, unknown>> = [];
  return { lines, logger: pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

describe("SQLite store: space of deleted rows", () => {
  it("a new file shrinks once retention has deleted most of it", async () => {
    const file = join(dir, "new.db");
    const store = new SqliteTelemetryStore(file);
    try {
      // Three hosts, 3 h each, ending an hour from the cut: retention deletes two thirds of the raw telemetry.
      const endMs = Date.UTC(2026, 0, 1);
      await storeAirFleet(store, ["h1", "h2", "h3"], 3 * 3600, endMs);
      await store.rollUp(60_000, endMs);
      const { logger, lines } = recording();
      // An hour's retention in steady state frees a few per cent: those pages stay for the next hour's telemetry.
      const steady = await runRetention(store, POLICY, endMs - 105 * 60_000, logger);
      expect(steady.rawDeleted).toBe(3 * (15 * 60 - 1));
      expect(steady.reclaimedBytes).toBe(0);
      const before = bytesOnDisk(file);
      const result = await runRetention(store, POLICY, endMs, logger);
      expect(result.rawDeleted).toBe(3 * (2 * 3600 - 1) - steady.rawDeleted);
      const after = bytesOnDisk(file);
      expect(result.reclaimedBytes).toBeGreaterThan(before / 2);
      expect(after).toBeLessThan(before / 2);
      expect(lines.filter((l) => l["msg"] === "telemetry retention done").map((l) => l["reclaimedBytes"])).toEqual([0, result.reclaimedBytes]);
      // What was kept is intact.
      expect(await store.countTelemetry()).toBe(3 * 3 * 3600 - steady.rawDeleted - result.rawDeleted);
      expect((await store.telemetryRange("h2", 0, Number.MAX_SAFE_INTEGER, 1))[0]?.ts).toBe(endMs - HOUR_MS);
    } finally {
      await store.close();
    }
  });

  it("an older file without incremental auto-vacuum keeps its pages, and the warning says how to convert it, once", async () => {
    const file = join(dir, "old.db");
    const old = new Database(file);
    old.pragma("journal_mode = WAL");
    old.exec("CREATE TABLE made_before (x)");
    old.close();
    const store = new SqliteTelemetryStore(file);
    try {
      await storeAirFleet(store, ["h1"], 3600, Date.UTC(2026, 0, 1));
      const { logger, lines } = recording();
      const first = await runRetention(store, POLICY, Date.UTC(2026, 0, 1) + 2 * HOUR_MS, logger);
      await runRetention(store, POLICY, Date.UTC(2026, 0, 1) + 3 * HOUR_MS, logger);
      expect(first.reclaimedBytes).toBe(0);
      const warnings = lines.filter((l) => l["msg"] === "store: deleted rows' space is not given back to the file system");
      expect(warnings).toHaveLength(1);
      expect(warnings[0]?.["detail"]).toContain(`sqlite3 ${file} 'PRAGMA auto_vacuum = INCREMENTAL; VACUUM;'`);
    } finally {
      await store.close();
    }
  });
});
