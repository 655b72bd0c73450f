export { scheduleMaintenance, type MaintenanceSchedule } from "./schedule-maintenance.js";
export {
  runRetention,
  runRollUp,
  ROLL_UP_DEFAULTS,
  type MaintenanceStore,
  type RetentionPolicy,
  type RetentionResult,
  type RollUpPolicy,
} from "./maintenance-jobs.js";
