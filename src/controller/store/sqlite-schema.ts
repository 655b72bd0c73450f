/**
 * Ordered schema migrations for the SQLite store. Append new versions; never edit one that has shipped, since
 * a database records only the version it reached, not the SQL it ran.
 */
export interface Migration {
  version: number;
  sql: string;
}

const V1 = `
CREATE TABLE hosts (
  host_id         TEXT PRIMARY KEY,
  online          INTEGER NOT NULL DEFAULT 0,
  boot            TEXT,
  state           TEXT NOT NULL DEFAULT 'Setup',
  last_seen_ms    INTEGER,
  -- agent ts of the last applied birth/offline message: orders presence updates against reordering
  presence_ts_ms  INTEGER,
  offline_reason  TEXT,
  birth_json      TEXT
) STRICT;

-- One row per telemetry message. Readings stay JSON (they vary per host and are read back whole);
-- the columns are what range queries and roll-ups filter and aggregate on.
CREATE TABLE telemetry (
  id            INTEGER PRIMARY KEY,
  host          TEXT NOT NULL REFERENCES hosts (host_id),
  boot          TEXT NOT NULL,
  seq           INTEGER NOT NULL,
  ts            INTEGER NOT NULL,
  period_ms     INTEGER NOT NULL,
  mode          TEXT NOT NULL,
  fan_pct       REAL NOT NULL,
  pump_pct      REAL,
  cmd_seq       INTEGER,
  dropped       INTEGER NOT NULL,
  cpu_max_c     REAL,
  drive_max_c   REAL,
  cpu_util_pct  REAL,
  power_w       REAL,
  readings      TEXT NOT NULL,
  UNIQUE (host, boot, seq)
) STRICT;
CREATE INDEX telemetry_host_ts ON telemetry (host, ts);

CREATE TABLE features (
  id                          INTEGER PRIMARY KEY,
  host                        TEXT NOT NULL REFERENCES hosts (host_id),
  window_start_ms             INTEGER NOT NULL,
  window_end_ms               INTEGER NOT NULL,
  samples                     INTEGER NOT NULL,
  cpu_margin_c                REAL,
  drive_margin_c              REAL,
  cpu_max_c                   REAL,
  drive_max_c                 REAL,
  inlet_c                     REAL,
  cpu_util_mean_pct           REAL,
  cpu_util_slope_pct_per_min  REAL,
  disk_mbps_mean              REAL,
  fan_pct_mean                REAL NOT NULL,
  pump_pct_mean               REAL,
  power_w_mean                REAL,
  bad_required_readings       INTEGER NOT NULL,
  modes                       TEXT NOT NULL,
  UNIQUE (host, window_start_ms)
) STRICT;

-- ack_* hold the first ack received: the protocol sends one final ack per command, and a redelivered
-- command is answered "replayed", which must not overwrite the real outcome.
CREATE TABLE commands (
  id                INTEGER PRIMARY KEY,
  host              TEXT NOT NULL REFERENCES hosts (host_id),
  cmd_id            TEXT NOT NULL,
  seq               INTEGER NOT NULL,
  issued_at_ms      INTEGER NOT NULL,
  expires_at_ms     INTEGER NOT NULL,
  setpoints         TEXT NOT NULL,
  sent_at_ms        INTEGER NOT NULL,
  ack_status        TEXT,
  ack_received_ms   INTEGER,
  ack_latency_ms    INTEGER,
  UNIQUE (host, cmd_id)
) STRICT;
CREATE INDEX commands_sent_at ON commands (sent_at_ms);

-- Every ack as received, matched or not: an audit trail, and the place an early ack waits for its command.
CREATE TABLE acks (
  id              INTEGER PRIMARY KEY,
  host            TEXT NOT NULL,
  boot            TEXT NOT NULL,
  cmd_id          TEXT NOT NULL,
  seq             INTEGER NOT NULL,
  status          TEXT NOT NULL,
  reason          TEXT,
  ts              INTEGER NOT NULL,
  received_at_ms  INTEGER NOT NULL,
  applied         TEXT,
  command_id      INTEGER REFERENCES commands (id) ON DELETE SET NULL
) STRICT;
CREATE INDEX acks_host_cmd ON acks (host, cmd_id);
CREATE INDEX acks_command ON acks (command_id);

CREATE TABLE transitions (
  id          INTEGER PRIMARY KEY,
  host        TEXT NOT NULL REFERENCES hosts (host_id),
  from_state  TEXT,
  to_state    TEXT NOT NULL,
  cause       TEXT NOT NULL,
  at_ms       INTEGER NOT NULL
) STRICT;
CREATE INDEX transitions_host_at ON transitions (host, at_ms);

-- Sums rather than only means, so buckets could later be merged into coarser ones exactly.
CREATE TABLE telemetry_rollup (
  host               TEXT NOT NULL REFERENCES hosts (host_id),
  bucket_ms          INTEGER NOT NULL,
  bucket_start_ms    INTEGER NOT NULL,
  samples            INTEGER NOT NULL,
  cpu_samples        INTEGER NOT NULL,
  cpu_max_c_min      REAL,
  cpu_max_c_max      REAL,
  cpu_max_c_sum      REAL,
  drive_max_c_max    REAL,
  fan_pct_sum        REAL NOT NULL,
  fan_pct_max        REAL NOT NULL,
  pump_samples       INTEGER NOT NULL,
  pump_pct_sum       REAL,
  power_samples      INTEGER NOT NULL,
  power_w_sum        REAL,
  util_samples       INTEGER NOT NULL,
  cpu_util_pct_sum   REAL,
  failsafe_samples   INTEGER NOT NULL,
  override_samples   INTEGER NOT NULL,
  PRIMARY KEY (host, bucket_ms, bucket_start_ms)
) STRICT, WITHOUT ROWID;

-- Per bucket size, every bucket starting before done_before_ms is rolled up.
CREATE TABLE rollup_progress (
  bucket_ms       INTEGER PRIMARY KEY,
  done_before_ms  INTEGER NOT NULL
) STRICT;
`;

/** The message's optional parts that v1 did not keep: capability tiers, alarms, and the historical mark. */
const V2 = `
ALTER TABLE telemetry ADD COLUMN tiers_json TEXT;
ALTER TABLE telemetry ADD COLUMN alarms_json TEXT;
ALTER TABLE telemetry ADD COLUMN historical INTEGER NOT NULL DEFAULT 0;
`;

export const MIGRATIONS: readonly Migration[] = [
  { version: 1, sql: V1 },
  { version: 2, sql: V2 },
];
