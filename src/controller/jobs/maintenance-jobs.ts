import type { Logger } from "../../core/logger.js";
import type { RollUpResult, TelemetryStore } from "../store/telemetry-store.js";

/** What the maintenance jobs need from a store. */
export type MaintenanceStore = Pick<
  TelemetryStore,
  "rollUp" | "deleteRollupsBefore" | "deleteRawBefore" | "deleteFeaturesBefore" | "deleteCommandsBefore" | "deleteTransitionsBefore" | "reclaimSpace"
>;

export interface RollUpPolicy {
  /** Roll-up bucket: one row per host per bucketMs. */
  bucketMs: number;
  /** Buckets are rolled up only once they ended this long ago, so late telemetry still counts. */
  graceMs: number;
}

export interface RetentionPolicy extends RollUpPolicy {
  rawRetentionMs: number;
  /** Roll-up buckets (every bucket size) that ended longer ago than this go; at least rawRetentionMs. */
  rollUpRetentionMs: number;
  featureRetentionMs: number;
  /** Commands and acks. */
  commandRetentionMs: number;
  transitionRetentionMs: number;
}

export const ROLL_UP_DEFAULTS: RollUpPolicy = { bucketMs: 60_000, graceMs: 120_000 };

/** Rolls up every whole bucket that ended at least graceMs before nowMs. */
export async function runRollUp(store: MaintenanceStore, policy: RollUpPolicy, nowMs: number, logger: Logger): Promise<RollUpResult> {
  const result = await store.rollUp(policy.bucketMs, nowMs - policy.graceMs);
  logger.debug({ ...result, bucketMs: policy.bucketMs }, "telemetry roll-up done");
  return result;
}

export interface RetentionResult {
  rawDeleted: number;
  /** Roll-up buckets, of every bucket size. */
  rollupsDeleted: number;
  featuresDeleted: number;
  /** Commands and acks. */
  commandsDeleted: number;
  transitionsDeleted: number;
  /** Raw telemetry before this is gone. */
  rawCutMs: number;
  /** Roll-up buckets that ended at or before this are gone. */
  rollupCutMs: number;
  featureCutMs: number;
  /** Bytes the store gave back to the file system after the deletes (0 where it keeps none, e.g. DynamoDB). */
  reclaimedBytes: number;
}

/** Stores already told that they cannot give space back: the warning once per process, not every hour. */
const warnedNotReclaimable = new WeakSet<MaintenanceStore>();

/**
 * Deletes raw telemetry, roll-up buckets, feature windows, commands with acks, and state transitions past their retention. Raw telemetry goes only once it is rolled up:
 * a roll-up runs first, and the cut never passes the last rolled-up bucket, whatever the retention says
 * (a roll-up job that failed for a day must not turn retention into data loss). Roll-ups go by the end of their
 * bucket; the roll-up progress stays, so a deleted bucket is never computed again.
 */
export async function runRetention(store: MaintenanceStore, policy: RetentionPolicy, nowMs: number, logger: Logger): Promise<RetentionResult> {
  const rolled = await runRollUp(store, policy, nowMs, logger);
  const rawCutMs = Math.min(nowMs - policy.rawRetentionMs, rolled.doneBeforeMs);
  const rollupCutMs = nowMs - policy.rollUpRetentionMs;
  const featureCutMs = nowMs - policy.featureRetentionMs;
  const rawDeleted = await store.deleteRawBefore(rawCutMs);
  const rollupsDeleted = await store.deleteRollupsBefore(rollupCutMs);
  const featuresDeleted = await store.deleteFeaturesBefore(featureCutMs);
  const commandsDeleted = await store.deleteCommandsBefore(nowMs - policy.commandRetentionMs);
  const transitionsDeleted = await store.deleteTransitionsBefore(nowMs - policy.transitionRetentionMs);
  const reclaimed = await store.reclaimSpace?.();
  if (reclaimed?.notReclaimable !== undefined && !warnedNotReclaimable.has(store)) {
    warnedNotReclaimable.add(store);
    logger.warn({ detail: reclaimed.notReclaimable }, "store: deleted rows' space is not given back to the file system");
  }
  const result = { rawDeleted, rollupsDeleted, featuresDeleted, commandsDeleted, transitionsDeleted, rawCutMs, rollupCutMs, featureCutMs, reclaimedBytes: reclaimed?.bytesFreed ?? 0 };
  logger.info(result, "telemetry retention done");
  return result;
}
