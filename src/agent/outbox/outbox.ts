/** What the outbox holds: telemetry, and acks to controller commands. */
export type OutboxMessageKind = "telemetry" | "ack";

/** One message as stored, with the id the outbox gave it (increasing, never reused in one directory). */
export interface OutboxRecord {
  id: number;
  kind: OutboxMessageKind;
  topic: string;
  payload: string;
  /** Clock time it was appended: the age bound is measured from it. */
  appendedMs: number;
}

export interface OutboxStats {
  /** Messages not acknowledged by the broker yet (in flight included). */
  backlog: number;
  /** Bytes the outbox holds (on disk: the segment files). */
  backlogBytes: number;
  /** Telemetry messages dropped by the age or size bound since this agent started. */
  dropped: number;
  /** Acks dropped by the bounds (rare: they are few and small). */
  droppedAcks: number;
  /** Damaged records found (a torn tail after a crash or power loss, a CRC mismatch); each one is cut off. */
  tornRecords: number;
  /** Appends that failed (disk full, I/O error): those messages were sent without a copy on disk, if at all. */
  writeFailures: number;
}

/**
 * Where the agent keeps every telemetry message and ack until the broker acknowledged it (write-ahead: the
 * message is appended before it is published). Live messages are published straight after append; everything
 * not acknowledged on its first try is backlog, read back oldest first with nextBacklog().
 */
export interface Outbox {
  /** true when the messages survive a restart of the agent. */
  readonly durable: boolean;
  /** Stores a message; undefined when it could not be stored (counted in writeFailures). */
  append(kind: OutboxMessageKind, topic: string, payload: string): OutboxRecord | undefined;
  /** The broker acknowledged the message: it may be deleted. */
  acknowledge(id: number): void;
  /** The oldest unacknowledged message after the read position for which skip(id) is false. */
  nextBacklog(skip: (id: number) => boolean): OutboxRecord | undefined;
  /** Moves the read position back to the oldest unacknowledged message (after a lost connection). */
  rewind(): void;
  /** Periodic upkeep (about once a second): bounds, deletion of acknowledged data, the persisted ack cursor, fsync. */
  maintain(): void;
  stats(): OutboxStats;
  /** Persists what is pending and releases files; the outbox is unusable afterwards. */
  close(): void;
}
