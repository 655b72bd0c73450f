export * from "./telemetry-store.js";
export { SqliteTelemetryStore, type SqliteStoreOptions } from "./sqlite-telemetry-store.js";
export { presenceApplies, type Presence } from "./presence.js";
export { sensorRoles, summarizeTelemetry, type SensorRoles, type TelemetrySummary } from "./telemetry-summary.js";
export { DynamoTelemetryStore, type DynamoStoreOptions } from "./dynamodb-telemetry-store.js";
export { openTelemetryStore } from "./open-store.js";
export { describeStore } from "./describe-store.js";
