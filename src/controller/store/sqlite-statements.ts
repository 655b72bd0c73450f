import type Database from "better-sqlite3";
import type { FeatureRow, HostRow, RollupRow, TelemetryRow, TransitionRow } from "./sqlite-rows.js";

/** A telemetry row as written: the stored message plus the columns roll-ups and range queries read. */
export interface TelemetryInsert extends TelemetryRow {
  cpu_max_c: number | null;
  drive_max_c: number | null;
  cpu_util_pct: number | null;
  power_w: number | null;
}

export interface HostPresenceWrite {
  host_id: string;
  online: number;
  boot: string;
  last_seen_ms: number;
  presence_ts_ms: number;
  offline_reason: string | null;
  birth_json: string | null;
}

export interface CommandInsert {
  host: string;
  cmd_id: string;
  seq: number;
  issued_at_ms: number;
  expires_at_ms: number;
  setpoints: string;
  sent_at_ms: number;
}

export interface AckInsert {
  host: string;
  boot: string;
  cmd_id: string;
  seq: number;
  status: string;
  reason: string | null;
  ts: number;
  received_at_ms: number;
  applied: string | null;
  command_id: number | null;
}

export interface CommandAckRow {
  id: number;
  sent_at_ms: number;
  ack_status: string | null;
}

export interface RangeParams {
  host: string;
  from: number;
  to: number;
}

const TELEMETRY_COLUMNS = "host, boot, seq, ts, period_ms, mode, fan_pct, pump_pct, cmd_seq, dropped, readings, tiers_json, alarms_json, historical";
const FEATURE_COLUMNS =
  "host, window_start_ms, window_end_ms, samples, cpu_margin_c, drive_margin_c, cpu_max_c, drive_max_c, inlet_c, " +
  "cpu_util_mean_pct, cpu_util_slope_pct_per_min, disk_mbps_mean, fan_pct_mean, pump_pct_mean, power_w_mean, " +
  "bad_required_readings, modes";

/** Every statement the store runs, prepared once when it opens (preparing per call costs more than the insert). */
export function prepareStatements(db: Database.Database) {
  return {
    // Data rows reference hosts; a host first seen through telemetry or a command gets a bare row.
    ensureHost: db.prepare<[string, number | null]>(
      `INSERT INTO hosts (host_id, last_seen_ms) VALUES (?, ?)
       ON CONFLICT (host_id) DO UPDATE SET last_seen_ms =
         CASE WHEN last_seen_ms IS NULL OR excluded.last_seen_ms > last_seen_ms THEN excluded.last_seen_ms ELSE last_seen_ms END`,
    ),
    getHost: db.prepare<[string], HostRow>("SELECT * FROM hosts WHERE host_id = ?"),
    listHosts: db.prepare<[], HostRow>("SELECT * FROM hosts ORDER BY host_id"),
    hostIds: db.prepare<[], { host_id: string }>("SELECT host_id FROM hosts ORDER BY host_id"),
    // Acks may come from hosts with no hosts row (an ack for an unknown command): retention walks these too.
    ackHostIds: db.prepare<[], { host_id: string }>("SELECT DISTINCT host AS host_id FROM acks ORDER BY host"),
    writePresence: db.prepare<[HostPresenceWrite]>(
      `INSERT INTO hosts (host_id, online, boot, last_seen_ms, presence_ts_ms, offline_reason, birth_json)
       VALUES (@host_id, @online, @boot, @last_seen_ms, @presence_ts_ms, @offline_reason, @birth_json)
       ON CONFLICT (host_id) DO UPDATE SET online = excluded.online, boot = excluded.boot,
         last_seen_ms = excluded.last_seen_ms, presence_ts_ms = excluded.presence_ts_ms,
         offline_reason = excluded.offline_reason, birth_json = excluded.birth_json`,
    ),
    setHostState: db.prepare<[string, string]>("UPDATE hosts SET state = ? WHERE host_id = ?"),

    insertTelemetry: db.prepare<[TelemetryInsert]>(
      `INSERT OR IGNORE INTO telemetry (${TELEMETRY_COLUMNS}, cpu_max_c, drive_max_c, cpu_util_pct, power_w)
       VALUES (@host, @boot, @seq, @ts, @period_ms, @mode, @fan_pct, @pump_pct, @cmd_seq, @dropped, @readings,
               @tiers_json, @alarms_json, @historical, @cpu_max_c, @drive_max_c, @cpu_util_pct, @power_w)`,
    ),
    telemetryRange: db.prepare<[RangeParams & { limit: number }], TelemetryRow>(
      `SELECT ${TELEMETRY_COLUMNS} FROM telemetry WHERE host = @host AND ts >= @from AND ts < @to
       ORDER BY ts, id LIMIT @limit`,
    ),
    countTelemetryAll: db.prepare<[], { n: number }>("SELECT count(*) AS n FROM telemetry"),
    countTelemetryHost: db.prepare<[string], { n: number }>("SELECT count(*) AS n FROM telemetry WHERE host = ?"),
    deleteRawChunk: db.prepare<[string, number, number]>(
      "DELETE FROM telemetry WHERE id IN (SELECT id FROM telemetry WHERE host = ? AND ts < ? LIMIT ?)",
    ),

    upsertFeatures: db.prepare<[FeatureRow]>(
      `INSERT INTO features (${FEATURE_COLUMNS})
       VALUES (@host, @window_start_ms, @window_end_ms, @samples, @cpu_margin_c, @drive_margin_c, @cpu_max_c,
               @drive_max_c, @inlet_c, @cpu_util_mean_pct, @cpu_util_slope_pct_per_min, @disk_mbps_mean,
               @fan_pct_mean, @pump_pct_mean, @power_w_mean, @bad_required_readings, @modes)
       ON CONFLICT (host, window_start_ms) DO UPDATE SET
         window_end_ms = excluded.window_end_ms, samples = excluded.samples, cpu_margin_c = excluded.cpu_margin_c,
         drive_margin_c = excluded.drive_margin_c, cpu_max_c = excluded.cpu_max_c, drive_max_c = excluded.drive_max_c,
         inlet_c = excluded.inlet_c, cpu_util_mean_pct = excluded.cpu_util_mean_pct,
         cpu_util_slope_pct_per_min = excluded.cpu_util_slope_pct_per_min, disk_mbps_mean = excluded.disk_mbps_mean,
         fan_pct_mean = excluded.fan_pct_mean, pump_pct_mean = excluded.pump_pct_mean,
         power_w_mean = excluded.power_w_mean, bad_required_readings = excluded.bad_required_readings,
         modes = excluded.modes`,
    ),
    featuresRange: db.prepare<[RangeParams], FeatureRow>(
      `SELECT ${FEATURE_COLUMNS} FROM features
       WHERE host = @host AND window_start_ms >= @from AND window_start_ms < @to ORDER BY window_start_ms`,
    ),
    deleteFeaturesChunk: db.prepare<[string, number, number, number]>(
      `DELETE FROM features WHERE id IN
         (SELECT id FROM features WHERE host = ? AND window_start_ms < ? AND window_end_ms <= ? LIMIT ?)`,
    ),

    deleteAcksChunk: db.prepare<[string, number, number, number]>(
      `DELETE FROM acks WHERE id IN
         (SELECT a.id FROM acks a LEFT JOIN commands c ON c.id = a.command_id
          WHERE a.host = ? AND (a.received_at_ms < ? OR c.sent_at_ms < ?) LIMIT ?)`,
    ),
    deleteCommandsChunk: db.prepare<[string, number, number]>(
      "DELETE FROM commands WHERE id IN (SELECT id FROM commands WHERE host = ? AND sent_at_ms < ? LIMIT ?)",
    ),
    deleteTransitionsChunk: db.prepare<[string, number, number]>(
      "DELETE FROM transitions WHERE id IN (SELECT id FROM transitions WHERE host = ? AND at_ms < ? LIMIT ?)",
    ),

    insertCommand: db.prepare<[CommandInsert]>(
      `INSERT OR IGNORE INTO commands (host, cmd_id, seq, issued_at_ms, expires_at_ms, setpoints, sent_at_ms)
       VALUES (@host, @cmd_id, @seq, @issued_at_ms, @expires_at_ms, @setpoints, @sent_at_ms)`,
    ),
    commandFor: db.prepare<[string, string], CommandAckRow>(
      "SELECT id, sent_at_ms, ack_status FROM commands WHERE host = ? AND cmd_id = ?",
    ),
    setFirstAck: db.prepare<[string, number, number, number]>(
      `UPDATE commands SET ack_status = ?, ack_received_ms = ?, ack_latency_ms = ? - sent_at_ms
       WHERE id = ? AND ack_status IS NULL`,
    ),
    insertAck: db.prepare<[AckInsert]>(
      `INSERT INTO acks (host, boot, cmd_id, seq, status, reason, ts, received_at_ms, applied, command_id)
       VALUES (@host, @boot, @cmd_id, @seq, @status, @reason, @ts, @received_at_ms, @applied, @command_id)`,
    ),
    earliestOrphanAck: db.prepare<[string, string], { status: string; received_at_ms: number }>(
      `SELECT status, received_at_ms FROM acks WHERE host = ? AND cmd_id = ? AND command_id IS NULL
       ORDER BY received_at_ms, id LIMIT 1`,
    ),
    adoptOrphanAcks: db.prepare<[number, string, string]>(
      "UPDATE acks SET command_id = ? WHERE host = ? AND cmd_id = ? AND command_id IS NULL",
    ),
    commandsSent: db.prepare<[number], { n: number }>("SELECT count(*) AS n FROM commands WHERE sent_at_ms >= ?"),
    commandsByAckStatus: db.prepare<[number], { status: string; n: number }>(
      `SELECT ack_status AS status, count(*) AS n FROM commands
       WHERE sent_at_ms >= ? AND ack_status IS NOT NULL GROUP BY ack_status`,
    ),
    unknownAcks: db.prepare<[number], { n: number }>(
      "SELECT count(*) AS n FROM acks WHERE command_id IS NULL AND received_at_ms >= ?",
    ),
    latencyAtRank: db.prepare<[number, number], { latency: number }>(
      `SELECT ack_latency_ms AS latency FROM commands WHERE sent_at_ms >= ? AND ack_latency_ms IS NOT NULL
       ORDER BY ack_latency_ms LIMIT 1 OFFSET ?`,
    ),

    insertTransition: db.prepare<[TransitionRow]>(
      `INSERT INTO transitions (host, from_state, to_state, cause, at_ms)
       VALUES (@host, @from_state, @to_state, @cause, @at_ms)`,
    ),
    transitions: db.prepare<[RangeParams], TransitionRow>(
      `SELECT host, from_state, to_state, cause, at_ms FROM transitions
       WHERE host = @host AND at_ms >= @from AND at_ms < @to ORDER BY at_ms, id`,
    ),

    // ts - ts % b aligns buckets to multiples of bucketMs since the epoch (whole UTC minutes, hours).
    rollUpHost: db.prepare<[RangeParams & { bucket_ms: number }], { samples: number }>(
      `INSERT INTO telemetry_rollup (host, bucket_ms, bucket_start_ms, samples, cpu_samples, cpu_max_c_min,
         cpu_max_c_max, cpu_max_c_sum, drive_max_c_max, fan_pct_sum, fan_pct_max, pump_samples, pump_pct_sum,
         power_samples, power_w_sum, util_samples, cpu_util_pct_sum, failsafe_samples, override_samples)
       SELECT host, @bucket_ms, ts - ts % @bucket_ms AS bucket,
              count(*), count(cpu_max_c), min(cpu_max_c), max(cpu_max_c), sum(cpu_max_c),
              max(drive_max_c), sum(fan_pct), max(fan_pct),
              count(pump_pct), sum(pump_pct), count(power_w), sum(power_w), count(cpu_util_pct), sum(cpu_util_pct),
              sum(mode = 'failsafe'), sum(mode = 'override')
       FROM telemetry WHERE host = @host AND ts >= @from AND ts < @to
       GROUP BY bucket
       ON CONFLICT DO NOTHING
       RETURNING samples`,
    ),
    rollupRange: db.prepare<[RangeParams & { bucket_ms: number }], RollupRow>(
      `SELECT * FROM telemetry_rollup WHERE host = @host AND bucket_ms = @bucket_ms
         AND bucket_start_ms >= @from AND bucket_start_ms < @to ORDER BY bucket_start_ms`,
    ),
    // The bucket sizes a host has roll-ups of, each found by one primary-key seek (a skip scan), not by reading them all.
    rollupBucketSizes: db.prepare<[{ host: string }], { bucket_ms: number }>(
      `WITH RECURSIVE sizes (bucket_ms) AS (
         SELECT (SELECT min(bucket_ms) FROM telemetry_rollup WHERE host = @host)
         UNION ALL
         SELECT (SELECT min(bucket_ms) FROM telemetry_rollup WHERE host = @host AND bucket_ms > sizes.bucket_ms)
         FROM sizes WHERE sizes.bucket_ms IS NOT NULL
       )
       SELECT bucket_ms FROM sizes WHERE bucket_ms IS NOT NULL`,
    ),
    // Buckets of one size that start at or before last_start, i.e. end at or before the cut: a primary-key range.
    deleteRollupsChunk: db.prepare<[{ host: string; bucket_ms: number; last_start: number; limit: number }]>(
      `DELETE FROM telemetry_rollup WHERE host = @host AND bucket_ms = @bucket_ms AND bucket_start_ms IN
         (SELECT bucket_start_ms FROM telemetry_rollup
          WHERE host = @host AND bucket_ms = @bucket_ms AND bucket_start_ms <= @last_start LIMIT @limit)`,
    ),
    rollupDoneBefore: db.prepare<[number], { done_before_ms: number }>(
      "SELECT done_before_ms FROM rollup_progress WHERE bucket_ms = ?",
    ),
    setRollupDoneBefore: db.prepare<[number, number]>(
      `INSERT INTO rollup_progress (bucket_ms, done_before_ms) VALUES (?, ?)
       ON CONFLICT (bucket_ms) DO UPDATE SET done_before_ms = excluded.done_before_ms`,
    ),
  };
}

export type Statements = ReturnType<typeof prepareStatements>;
