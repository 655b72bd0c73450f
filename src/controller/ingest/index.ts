export { TelemetryIngest, INGEST_DEFAULTS, type IngestDeps, type IngestOptions, type IngestStats, type IngestStore } from "./telemetry-ingest.js";
export { REJECT_REASONS, type RejectReason } from "./reject-reason.js";
