import Database from "better-sqlite3";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import { SystemClock, type Clock } from "../../core/clock.js";
import { ACK_STATUSES, type Ack, type AckStatus, type Command, type HostState, type Telemetry } from "../../protocol/index.js";
import type { HostFeatures } from "../types.js";
import { presenceApplies } from "./presence.js";
import { fromFeatures, toFeatures, toRollup, toStoredHost, toTelemetry, toTransition } from "./sqlite-rows.js";
import { migrate } from "./sqlite-migrate.js";
import { MIGRATIONS } from "./sqlite-schema.js";
import { prepareStatements, type Statements } from "./sqlite-statements.js";
import { sensorRoles, summarizeTelemetry, type SensorRoles } from "./telemetry-summary.js";
import {
  DEFAULT_RANGE_LIMIT,
  type AckMatch,
  type AppendResult,
  type CommandStats,
  type HostTransition,
  type RollUpResult,
  type SpaceReclaimed,
  type StoredHost,
  type TelemetryRollup,
  type TelemetryStore,
} from "./telemetry-store.js";

export interface SqliteStoreOptions {
  /** Stamps schema migrations; defaults to the system clock. */
  clock?: Clock;
  /** Rows per DELETE during retention: small enough that ingest is never held up for long. */
  deleteChunkRows?: number;
}

/** PRAGMA auto_vacuum: 0 none, 1 full, 2 incremental. */
const AUTO_VACUUM_INCREMENTAL = 2;
/** Free pages are given back once they are more than this share of the file (a shorter retention, fewer hosts). */
const RECLAIM_MIN_FREE_SHARE = 0.25;
/** Pages given back per step (4 KiB each: 8 MiB), so ingest waits for no long step. */
const RECLAIM_CHUNK_PAGES = 2048;

const OPEN_START = Number.MIN_SAFE_INTEGER;
const OPEN_END = Number.MAX_SAFE_INTEGER;

/**
 * The embedded store: one SQLite file in WAL mode. better-sqlite3 is synchronous, so every method does its work
 * before returning a settled promise; long jobs (roll-up, retention) work host by host and yield in between.
 */
export class SqliteTelemetryStore implements TelemetryStore {
  private readonly db: Database.Database;
  private readonly sql: Statements;
  /** Sensor roles per host from its latest birth, so appends need no manifest lookup per message. */
  private readonly rolesByHost = new Map<string, SensorRoles>();
  private readonly deleteChunkRows: number;

  /** path: a database file (created if missing) or ":memory:". */
  constructor(
    readonly path: string,
    options: SqliteStoreOptions = {},
  ) {
    this.deleteChunkRows = options.deleteChunkRows ?? 5_000;
    try {
      this.db = new Database(path);
    } catch (err) {
      const why = err instanceof Error ? err.message : String(err);
      throw new Error(`store ${path}: cannot open the database (${why}); check that its directory exists and is writable`, { cause: err });
    }
    try {
      // Before anything else touches a new file: pages freed by retention can then be given back to the file system
      // (reclaimSpace). It cannot be switched on once tables exist, so on an older file it does nothing.
      this.db.pragma("auto_vacuum = INCREMENTAL");
      this.db.pragma("journal_mode = WAL");
      // With WAL, NORMAL survives a process crash; only an OS crash or power loss can drop the last commits.
      this.db.pragma("synchronous = NORMAL");
      this.db.pragma("foreign_keys = ON");
      this.db.pragma("busy_timeout = 5000");
      migrate(this.db, MIGRATIONS, (options.clock ?? new SystemClock()).nowMs(), path);
      this.sql = prepareStatements(this.db);
    } catch (err) {
      this.db.close();
      throw err;
    }
  }

  upsertHost(state: HostState): Promise<{ applied: boolean }> {
    return settle(() =>
      this.db.transaction(() => {
        const row = this.sql.getHost.get(state.host);
        const current = row && {
          online: row.online === 1,
          boot: row.boot ?? undefined,
          presenceTsMs: row.presence_ts_ms ?? undefined,
        };
        if (!presenceApplies(current, state)) return { applied: false };
        const lastSeenMs = Math.max(row?.last_seen_ms ?? state.ts, state.ts);
        this.sql.writePresence.run({
          host_id: state.host,
          online: state.online ? 1 : 0,
          boot: state.boot,
          last_seen_ms: lastSeenMs,
          presence_ts_ms: Math.max(row?.presence_ts_ms ?? state.ts, state.ts),
          offline_reason: state.online ? null : state.reason,
          // An offline state keeps the manifest: it still describes the host's sensors.
          birth_json: state.online ? JSON.stringify(state) : (row?.birth_json ?? null),
        });
        if (state.online) this.rolesByHost.set(state.host, sensorRoles(state));
        return { applied: true };
      })(),
    );
  }

  listHosts(): Promise<StoredHost[]> {
    return settle(() => this.sql.listHosts.all().map(toStoredHost));
  }

  getHost(hostId: string): Promise<StoredHost | undefined> {
    return settle(() => {
      const row = this.sql.getHost.get(hostId);
      return row && toStoredHost(row);
    });
  }

  appendTelemetry(batch: readonly Telemetry[]): Promise<AppendResult> {
    if (batch.length === 0) return Promise.resolve({ inserted: 0, duplicates: 0 });
    return settle(() =>
      this.db.transaction(() => {
        const newestByHost = new Map<string, number>();
        for (const t of batch) newestByHost.set(t.host, Math.max(newestByHost.get(t.host) ?? t.ts, t.ts));
        for (const [host, ts] of newestByHost) this.sql.ensureHost.run(host, ts);
        let inserted = 0;
        for (const t of batch) {
          const summary = summarizeTelemetry(t, this.rolesFor(t.host));
          inserted += this.sql.insertTelemetry.run({
            host: t.host,
            boot: t.boot,
            seq: t.seq,
            ts: t.ts,
            period_ms: t.periodMs,
            mode: t.mode,
            fan_pct: t.outputs.fanPct,
            pump_pct: t.outputs.pumpPct ?? null,
            cmd_seq: t.cmdSeq ?? null,
            dropped: t.dropped,
            cpu_max_c: summary.cpuMaxC,
            drive_max_c: summary.driveMaxC,
            cpu_util_pct: summary.cpuUtilPct,
            power_w: summary.powerW,
            readings: JSON.stringify(t.readings),
            tiers_json: t.tiers ? JSON.stringify(t.tiers) : null,
            alarms_json: t.alarms ? JSON.stringify(t.alarms) : null,
            historical: t.historical ? 1 : 0,
          }).changes;
        }
        return { inserted, duplicates: batch.length - inserted };
      })(),
    );
  }

  telemetryRange(hostId: string, fromMs: number, toMs: number, limit = DEFAULT_RANGE_LIMIT): Promise<Telemetry[]> {
    return settle(() => this.sql.telemetryRange.all({ host: hostId, from: fromMs, to: toMs, limit }).map(toTelemetry));
  }

  countTelemetry(hostId?: string): Promise<number> {
    return settle(() => {
      const row = hostId === undefined ? this.sql.countTelemetryAll.get() : this.sql.countTelemetryHost.get(hostId);
      return row?.n ?? 0;
    });
  }

  appendFeatures(features: readonly HostFeatures[]): Promise<void> {
    return settle(() =>
      this.db.transaction(() => {
        for (const host of new Set(features.map((f) => f.hostId))) this.sql.ensureHost.run(host, null);
        for (const f of features) this.sql.upsertFeatures.run(fromFeatures(f));
      })(),
    );
  }

  featuresRange(hostId: string, fromMs: number, toMs: number): Promise<HostFeatures[]> {
    return settle(() => this.sql.featuresRange.all({ host: hostId, from: fromMs, to: toMs }).map(toFeatures));
  }

  recordCommand(cmd: Command, sentAtMs: number): Promise<void> {
    return settle(() =>
      this.db.transaction(() => {
        this.sql.ensureHost.run(cmd.host, null);
        const { changes } = this.sql.insertCommand.run({
          host: cmd.host,
          cmd_id: cmd.id,
          seq: cmd.seq,
          issued_at_ms: cmd.issuedAt,
          expires_at_ms: cmd.expiresAt,
          setpoints: JSON.stringify(cmd.setpoints),
          sent_at_ms: sentAtMs,
        });
        if (changes === 0) return; // already recorded: the first send is the one latency counts from
        // An ack that beat the record (publish resolved after the agent answered) is matched now.
        const command = this.sql.commandFor.get(cmd.host, cmd.id);
        const early = this.sql.earliestOrphanAck.get(cmd.host, cmd.id);
        if (!command || !early) return;
        this.sql.setFirstAck.run(early.status, early.received_at_ms, early.received_at_ms, command.id);
        this.sql.adoptOrphanAcks.run(command.id, cmd.host, cmd.id);
      })(),
    );
  }

  recordAck(ack: Ack, receivedAtMs: number): Promise<AckMatch> {
    return settle(() =>
      this.db.transaction((): AckMatch => {
        const command = this.sql.commandFor.get(ack.host, ack.cmdId);
        this.sql.insertAck.run({
          host: ack.host,
          boot: ack.boot,
          cmd_id: ack.cmdId,
          seq: ack.seq,
          status: ack.status,
          reason: ack.reason ?? null,
          ts: ack.ts,
          received_at_ms: receivedAtMs,
          applied: ack.applied === undefined ? null : JSON.stringify(ack.applied),
          command_id: command?.id ?? null,
        });
        if (!command) return { outcome: "unknown", latencyMs: undefined };
        if (command.ack_status !== null) return { outcome: "repeat", latencyMs: undefined };
        this.sql.setFirstAck.run(ack.status, receivedAtMs, receivedAtMs, command.id);
        return { outcome: "first", latencyMs: receivedAtMs - command.sent_at_ms };
      })(),
    );
  }

  commandStats(sinceMs = OPEN_START): Promise<CommandStats> {
    return settle(() => {
      const acked = Object.fromEntries(ACK_STATUSES.map((s) => [s, 0])) as Record<AckStatus, number>;
      for (const row of this.sql.commandsByAckStatus.all(sinceMs)) acked[row.status as AckStatus] = row.n;
      const ackedTotal = Object.values(acked).reduce((a, b) => a + b, 0);
      const sent = this.sql.commandsSent.get(sinceMs)?.n ?? 0;
      // Nearest rank: the smallest latency with at least p of all latencies at or below it.
      const atPercentile = (p: number): number | undefined =>
        ackedTotal === 0 ? undefined : this.sql.latencyAtRank.get(sinceMs, Math.ceil(p * ackedTotal) - 1)?.latency;
      return {
        sent,
        acked,
        unacked: sent - ackedTotal,
        unknownAcks: this.sql.unknownAcks.get(sinceMs)?.n ?? 0,
        p50LatencyMs: atPercentile(0.5),
        p99LatencyMs: atPercentile(0.99),
      };
    });
  }

  recordTransition(transition: HostTransition): Promise<void> {
    return settle(() =>
      this.db.transaction(() => {
        this.sql.ensureHost.run(transition.hostId, null);
        this.sql.insertTransition.run({
          host: transition.hostId,
          from_state: transition.from,
          to_state: transition.to,
          cause: transition.cause,
          at_ms: transition.atMs,
        });
        this.sql.setHostState.run(transition.to, transition.hostId);
      })(),
    );
  }

  transitions(hostId: string, fromMs = OPEN_START, toMs = OPEN_END): Promise<HostTransition[]> {
    return settle(() => this.sql.transitions.all({ host: hostId, from: fromMs, to: toMs }).map(toTransition));
  }

  async rollUp(bucketMs: number, olderThanMs: number): Promise<RollUpResult> {
    if (!Number.isInteger(bucketMs) || bucketMs <= 0) throw new Error(`rollUp: bucketMs must be a positive integer, got ${bucketMs}`);
    const fromMs = this.sql.rollupDoneBefore.get(bucketMs)?.done_before_ms ?? 0;
    const toMs = olderThanMs - (((olderThanMs % bucketMs) + bucketMs) % bucketMs);
    if (toMs <= fromMs) return { buckets: 0, samples: 0, doneBeforeMs: fromMs };
    let buckets = 0;
    let samples = 0;
    for (const { host_id: host } of this.sql.hostIds.all()) {
      // ON CONFLICT DO NOTHING makes a rerun after a crash between hosts and the progress mark harmless.
      const written = this.sql.rollUpHost.all({ host, bucket_ms: bucketMs, from: fromMs, to: toMs });
      buckets += written.length;
      for (const row of written) samples += row.samples;
      await yieldToEventLoop();
    }
    this.sql.setRollupDoneBefore.run(bucketMs, toMs);
    return { buckets, samples, doneBeforeMs: toMs };
  }

  rollupRange(hostId: string, bucketMs: number, fromMs: number, toMs: number): Promise<TelemetryRollup[]> {
    return settle(() =>
      this.sql.rollupRange.all({ host: hostId, bucket_ms: bucketMs, from: fromMs, to: toMs }).map(toRollup),
    );
  }

  deleteRollupsBefore(ms: number): Promise<number> {
    // Size by size: bucketStartMs + bucketMs ≤ ms is a key range only once bucketMs is fixed. A chunk is up to
    // deleteChunkRows per size; rollup_progress is left alone, so rollUp never computes a deleted bucket again.
    return this.deleteInChunks((host) => {
      let deleted = 0;
      for (const { bucket_ms: bucketMs } of this.sql.rollupBucketSizes.all({ host })) {
        deleted += this.sql.deleteRollupsChunk.run({ host, bucket_ms: bucketMs, last_start: ms - bucketMs, limit: this.deleteChunkRows }).changes;
      }
      return deleted;
    });
  }

  deleteRawBefore(ms: number): Promise<number> {
    return this.deleteInChunks((host) => this.sql.deleteRawChunk.run(host, ms, this.deleteChunkRows).changes);
  }

  deleteFeaturesBefore(ms: number): Promise<number> {
    return this.deleteInChunks((host) => this.sql.deleteFeaturesChunk.run(host, ms, ms, this.deleteChunkRows).changes);
  }

  async deleteCommandsBefore(ms: number): Promise<number> {
    // Acks first (those of the commands going too), so no ack is left pointing at a deleted command.
    const acks = await this.deleteInChunks((host) => this.sql.deleteAcksChunk.run(host, ms, ms, this.deleteChunkRows).changes, this.sql.ackHostIds.all());
    return acks + (await this.deleteInChunks((host) => this.sql.deleteCommandsChunk.run(host, ms, this.deleteChunkRows).changes));
  }

  deleteTransitionsBefore(ms: number): Promise<number> {
    return this.deleteInChunks((host) => this.sql.deleteTransitionsChunk.run(host, ms, this.deleteChunkRows).changes);
  }

  /**
   * Returns the pages retention freed to the file system once they are over RECLAIM_MIN_FREE_SHARE of the file,
   * RECLAIM_CHUNK_PAGES at a time with the event loop free in between, then checkpoints the WAL so the file really
   * shrinks. Below that share nothing is done: an hourly retention frees a few per cent, which the next hour's
   * telemetry fills again, and giving them back would move the newest pages forward every hour for nothing. A file
   * made before incremental auto-vacuum keeps its free pages (SQLite reuses them; the file does not grow past its
   * peak), and says how to convert it.
   */
  async reclaimSpace(): Promise<SpaceReclaimed> {
    if (this.path === ":memory:") return { bytesFreed: 0 };
    if (this.db.pragma("auto_vacuum", { simple: true }) !== AUTO_VACUUM_INCREMENTAL) {
      return {
        bytesFreed: 0,
        notReclaimable: `${this.path} was created without incremental auto-vacuum: the pages of deleted rows are reused, but the file never shrinks; to convert it once (it rewrites the file), stop the controller and run: sqlite3 ${this.path} 'PRAGMA auto_vacuum = INCREMENTAL; VACUUM;'`,
      };
    }
    const pageSize = Number(this.db.pragma("page_size", { simple: true }));
    const freePages = (): number => Number(this.db.pragma("freelist_count", { simple: true }));
    const freeBefore = freePages();
    if (!(freeBefore / Math.max(1, Number(this.db.pragma("page_count", { simple: true }))) > RECLAIM_MIN_FREE_SHARE)) return { bytesFreed: 0 };
    // Until the free list is empty, or a step gives nothing back (never spin on a file that will not shrink).
    for (let free = freeBefore; free > 0; ) {
      this.db.exec(`PRAGMA incremental_vacuum(${Math.min(free, RECLAIM_CHUNK_PAGES)})`);
      await yieldToEventLoop();
      const left = freePages();
      if (!(left < free)) break;
      free = left;
    }
    const pages = freeBefore - freePages();
    if (pages > 0) this.db.pragma("wal_checkpoint(TRUNCATE)");
    return { bytesFreed: pages * pageSize };
  }

  close(): Promise<void> {
    if (this.db.open) this.db.close();
    return Promise.resolve();
  }

  private rolesFor(hostId: string): SensorRoles {
    let roles = this.rolesByHost.get(hostId);
    if (!roles) {
      const row = this.sql.getHost.get(hostId);
      roles = sensorRoles(row ? toStoredHost(row).birth : undefined);
      this.rolesByHost.set(hostId, roles);
    }
    return roles;
  }

  /** Host by host (the (host, …) indexes make each delete a range scan), a chunk at a time, yielding in between. */
  private async deleteInChunks(deleteChunk: (host: string) => number, hosts = this.sql.hostIds.all()): Promise<number> {
    let deleted = 0;
    for (const { host_id: host } of hosts) {
      for (;;) {
        const n = deleteChunk(host);
        deleted += n;
        await yieldToEventLoop();
        if (n < this.deleteChunkRows) break;
      }
    }
    return deleted;
  }
}

/** Runs synchronous database work as a settled promise, so a failure is a rejection like any backend's. */
function settle<T>(work: () => T): Promise<T> {
  try {
    return Promise.resolve(work());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
