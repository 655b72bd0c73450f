import cron, { type ScheduledTask } from "node-cron";
import { SystemClock, type Clock } from "../../core/clock.js";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { ROLL_UP_DEFAULTS, runRetention, runRollUp, type MaintenanceStore } from "./maintenance-jobs.js";

export interface MaintenanceSchedule {
  /** node-cron expression (5 fields, or 6 with seconds), e.g. "* * * * *" for every minute. */
  rollUpCron: string;
  retentionCron: string;
  rawRetentionMs: number;
  /** Roll-up buckets; must be at least rawRetentionMs (raw telemetry must not outlive its summary). */
  rollUpRetentionMs: number;
  featureRetentionMs: number;
  commandRetentionMs: number;
  transitionRetentionMs: number;
  /** Default ROLL_UP_DEFAULTS.bucketMs (one minute). */
  rollUpBucketMs?: number;
  /** Default ROLL_UP_DEFAULTS.graceMs. */
  rollUpGraceMs?: number;
}

/**
 * Runs roll-up and retention on their cron schedules, one job at a time (both work the same tables), and
 * logs rather than throws when one fails: the next run catches up. Returns a stop function that also waits
 * for a job in progress, so the store can be closed after it.
 */
export function scheduleMaintenance(
  store: MaintenanceStore,
  schedule: MaintenanceSchedule,
  logger: Logger,
  clock: Clock = new SystemClock(),
): () => Promise<void> {
  checkCron("rollUpCron", schedule.rollUpCron);
  checkCron("retentionCron", schedule.retentionCron);
  checkPositive("rawRetentionMs", schedule.rawRetentionMs);
  checkPositive("rollUpRetentionMs", schedule.rollUpRetentionMs);
  if (schedule.rollUpRetentionMs < schedule.rawRetentionMs) {
    throw new CoolfleetError(
      ErrorCode.ConfigInvalid,
      `maintenance rollUpRetentionMs (${schedule.rollUpRetentionMs}) must be at least rawRetentionMs (${schedule.rawRetentionMs}): raw telemetry must not outlive its roll-ups`,
    );
  }
  checkPositive("featureRetentionMs", schedule.featureRetentionMs);
  checkPositive("commandRetentionMs", schedule.commandRetentionMs);
  checkPositive("transitionRetentionMs", schedule.transitionRetentionMs);
  const rollUp = { bucketMs: schedule.rollUpBucketMs ?? ROLL_UP_DEFAULTS.bucketMs, graceMs: schedule.rollUpGraceMs ?? ROLL_UP_DEFAULTS.graceMs };
  checkPositive("rollUpBucketMs", rollUp.bucketMs);
  const retention = {
    ...rollUp,
    rawRetentionMs: schedule.rawRetentionMs,
    rollUpRetentionMs: schedule.rollUpRetentionMs,
    featureRetentionMs: schedule.featureRetentionMs,
    commandRetentionMs: schedule.commandRetentionMs,
    transitionRetentionMs: schedule.transitionRetentionMs,
  };

  let chain: Promise<void> = Promise.resolve();
  let stopped = false;
  const exclusive = (name: string, job: () => Promise<unknown>): Promise<void> => {
    chain = chain.then(async () => {
      if (stopped) return;
      try {
        await job();
      } catch (err) {
        logger.error({ err, job: name }, "maintenance job failed; the next run catches up");
      }
    });
    return chain;
  };

  const tasks: ScheduledTask[] = [
    cron.schedule(schedule.rollUpCron, () => exclusive("roll-up", () => runRollUp(store, rollUp, clock.nowMs(), logger)), {
      name: "coolfleet-rollup",
      noOverlap: true,
    }),
    cron.schedule(schedule.retentionCron, () => exclusive("retention", () => runRetention(store, retention, clock.nowMs(), logger)), {
      name: "coolfleet-retention",
      noOverlap: true,
    }),
  ];

  return async () => {
    stopped = true;
    for (const task of tasks) {
      await task.stop();
      await task.destroy();
    }
    await chain;
  };
}

function checkCron(key: string, expression: string): void {
  const check = cron.validateDetailed(expression);
  if (!check.valid) {
    const why = check.errors.map((e) => e.message).join("; ");
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `maintenance ${key}: "${expression}" is not a cron expression (${why})`);
  }
}

function checkPositive(key: string, value: number): void {
  if (!Number.isFinite(value) || value <= 0) {
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `maintenance ${key}: must be a positive number of ms, got ${value}`);
  }
}
