import {
  PROTOCOL_VERSION,
  type ControlMode,
  type Alarm,
  type HostBirth,
  type Reading,
  type Telemetry,
} from "../../protocol/index.js";
import type { HostFeatures, HostStateName } from "../types.js";
import type { HostTransition, OfflineReason, StoredHost, TelemetryRollup } from "./telemetry-store.js";

/** Rows as SQLite returns them, and their mapping to domain objects. JSON columns were written by this store. */

export interface HostRow {
  host_id: string;
  online: number;
  boot: string | null;
  state: string;
  last_seen_ms: number | null;
  presence_ts_ms: number | null;
  offline_reason: string | null;
  birth_json: string | null;
}

export function toStoredHost(row: HostRow): StoredHost {
  return {
    hostId: row.host_id,
    online: row.online === 1,
    boot: row.boot ?? undefined,
    lastSeenMs: row.last_seen_ms ?? undefined,
    birth: row.birth_json === null ? undefined : (JSON.parse(row.birth_json) as HostBirth),
    offlineReason: (row.offline_reason ?? undefined) as OfflineReason | undefined,
    state: row.state as HostStateName,
  };
}

export interface TelemetryRow {
  host: string;
  boot: string;
  seq: number;
  ts: number;
  period_ms: number;
  mode: string;
  fan_pct: number;
  pump_pct: number | null;
  cmd_seq: number | null;
  dropped: number;
  readings: string;
  tiers_json: string | null;
  alarms_json: string | null;
  historical: number;
}

/** Rebuilds the message as the agent sent it (same fields, schema key order). */
export function toTelemetry(row: TelemetryRow): Telemetry {
  const t: Telemetry = {
    v: PROTOCOL_VERSION,
    host: row.host,
    boot: row.boot,
    seq: row.seq,
    ts: row.ts,
    periodMs: row.period_ms,
    mode: row.mode as ControlMode,
    outputs: row.pump_pct === null ? { fanPct: row.fan_pct } : { fanPct: row.fan_pct, pumpPct: row.pump_pct },
    dropped: row.dropped,
    readings: JSON.parse(row.readings) as Reading[],
  };
  if (row.cmd_seq !== null) t.cmdSeq = row.cmd_seq;
  if (row.tiers_json !== null) t.tiers = JSON.parse(row.tiers_json) as NonNullable<Telemetry["tiers"]>;
  if (row.alarms_json !== null) t.alarms = JSON.parse(row.alarms_json) as Alarm[];
  if (row.historical === 1) t.historical = true;
  return t;
}

export interface FeatureRow {
  host: string;
  window_start_ms: number;
  window_end_ms: number;
  samples: number;
  cpu_margin_c: number | null;
  drive_margin_c: number | null;
  cpu_max_c: number | null;
  drive_max_c: number | null;
  inlet_c: number | null;
  cpu_util_mean_pct: number | null;
  cpu_util_slope_pct_per_min: number | null;
  disk_mbps_mean: number | null;
  fan_pct_mean: number;
  pump_pct_mean: number | null;
  power_w_mean: number | null;
  bad_required_readings: number;
  modes: string;
}

export function fromFeatures(f: HostFeatures): FeatureRow {
  return {
    host: f.hostId,
    window_start_ms: f.windowStartMs,
    window_end_ms: f.windowEndMs,
    samples: f.samples,
    cpu_margin_c: f.cpuMarginC,
    drive_margin_c: f.driveMarginC,
    cpu_max_c: f.cpuMaxC,
    drive_max_c: f.driveMaxC,
    inlet_c: f.inletC,
    cpu_util_mean_pct: f.cpuUtilMeanPct,
    cpu_util_slope_pct_per_min: f.cpuUtilSlopePctPerMin,
    disk_mbps_mean: f.diskMBpsMean,
    fan_pct_mean: f.fanPctMean,
    pump_pct_mean: f.pumpPctMean,
    power_w_mean: f.powerWMean,
    bad_required_readings: f.badRequiredReadings,
    modes: JSON.stringify(f.modes),
  };
}

export function toFeatures(row: FeatureRow): HostFeatures {
  return {
    hostId: row.host,
    windowStartMs: row.window_start_ms,
    windowEndMs: row.window_end_ms,
    samples: row.samples,
    cpuMarginC: row.cpu_margin_c,
    driveMarginC: row.drive_margin_c,
    cpuMaxC: row.cpu_max_c,
    driveMaxC: row.drive_max_c,
    inletC: row.inlet_c,
    cpuUtilMeanPct: row.cpu_util_mean_pct,
    cpuUtilSlopePctPerMin: row.cpu_util_slope_pct_per_min,
    diskMBpsMean: row.disk_mbps_mean,
    fanPctMean: row.fan_pct_mean,
    pumpPctMean: row.pump_pct_mean,
    powerWMean: row.power_w_mean,
    badRequiredReadings: row.bad_required_readings,
    modes: JSON.parse(row.modes) as ControlMode[],
  };
}

export interface TransitionRow {
  host: string;
  from_state: string | null;
  to_state: string;
  cause: string;
  at_ms: number;
}

export function toTransition(row: TransitionRow): HostTransition {
  return {
    hostId: row.host,
    from: row.from_state as HostStateName | null,
    to: row.to_state as HostStateName,
    cause: row.cause,
    atMs: row.at_ms,
  };
}

export interface RollupRow {
  host: string;
  bucket_ms: number;
  bucket_start_ms: number;
  samples: number;
  cpu_samples: number;
  cpu_max_c_min: number | null;
  cpu_max_c_max: number | null;
  cpu_max_c_sum: number | null;
  drive_max_c_max: number | null;
  fan_pct_sum: number;
  fan_pct_max: number;
  pump_samples: number;
  pump_pct_sum: number | null;
  power_samples: number;
  power_w_sum: number | null;
  util_samples: number;
  cpu_util_pct_sum: number | null;
  failsafe_samples: number;
  override_samples: number;
}

function mean(sum: number | null, count: number): number | null {
  return sum === null || count === 0 ? null : sum / count;
}

export function toRollup(row: RollupRow): TelemetryRollup {
  return {
    hostId: row.host,
    bucketMs: row.bucket_ms,
    bucketStartMs: row.bucket_start_ms,
    samples: row.samples,
    cpuMaxCMin: row.cpu_max_c_min,
    cpuMaxCMax: row.cpu_max_c_max,
    cpuMaxCMean: mean(row.cpu_max_c_sum, row.cpu_samples),
    driveMaxCMax: row.drive_max_c_max,
    fanPctMean: row.fan_pct_sum / row.samples,
    fanPctMax: row.fan_pct_max,
    pumpPctMean: mean(row.pump_pct_sum, row.pump_samples),
    powerWMean: mean(row.power_w_sum, row.power_samples),
    cpuUtilPctMean: mean(row.cpu_util_pct_sum, row.util_samples),
    failsafeSamples: row.failsafe_samples,
    overrideSamples: row.override_samples,
  };
}
