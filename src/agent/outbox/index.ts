export { AckRanges } from "./ack-ranges.js";
export { DiskOutbox, type DiskOutboxOptions } from "./disk-outbox.js";
export { markHistorical } from "./historical.js";
export { MemoryOutbox, type MemoryOutboxOptions } from "./memory-outbox.js";
export { openOutbox } from "./open-outbox.js";
export type { Outbox, OutboxMessageKind, OutboxRecord, OutboxStats } from "./outbox.js";
export { decodeFrame, encodeFrame } from "./record-frame.js";
export { ReplayPacer } from "./replay-pacer.js";
