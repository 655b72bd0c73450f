import type Database from "better-sqlite3";
import type { Migration } from "./sqlite-schema.js";

export interface MigrationOutcome {
  fromVersion: number;
  toVersion: number;
}

/**
 * Brings the database to the latest schema version, one migration per transaction, so a crash leaves it at
 * a version it recorded. Refuses a database written by a newer coolfleet rather than guess at its layout.
 */
export function migrate(
  db: Database.Database,
  migrations: readonly Migration[],
  appliedAtMs: number,
  where: string,
): MigrationOutcome {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`store migrations out of order: entry ${i} has version ${m.version}, expected ${i + 1}`);
  });
  db.exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at_ms INTEGER NOT NULL) STRICT");
  const row = db.prepare<[], { version: number | null }>("SELECT max(version) AS version FROM schema_version").get();
  const fromVersion = row?.version ?? 0;
  const latest = migrations.length;
  if (fromVersion > latest) {
    throw new Error(
      `store ${where}: schema version ${fromVersion} is newer than this coolfleet knows (${latest}); ` +
        "run a newer coolfleet or point the controller at another database file",
    );
  }
  const record = db.prepare<[number, number]>("INSERT INTO schema_version (version, applied_at_ms) VALUES (?, ?)");
  for (const m of migrations.slice(fromVersion)) {
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, appliedAtMs);
    })();
  }
  return { fromVersion, toVersion: latest };
}
