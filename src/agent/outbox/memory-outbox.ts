import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import type { Outbox, OutboxMessageKind, OutboxRecord, OutboxStats } from "./outbox.js";

export interface MemoryOutboxOptions {
  /** Most messages held; past it the oldest telemetry goes (acks are kept: they are few). */
  maxMessages: number;
  maxAgeMs: number;
  clock: Clock;
  logger: Logger;
}

/**
 * An outbox in memory, for agents without a writable state directory (the demo's in-process fleet, tests):
 * the same replay and bounds as the disk outbox, but a restart loses what it holds.
 */
export class MemoryOutbox implements Outbox {
  readonly durable = false;
  /** In id order (Map keeps insertion order). */
  private readonly records = new Map<number, OutboxRecord>();
  private nextId = 1;
  private scanAfterId = 0;
  private bytes = 0;
  private readonly counters = { dropped: 0, droppedAcks: 0, tornRecords: 0, writeFailures: 0 };

  constructor(private readonly options: MemoryOutboxOptions) {}

  append(kind: OutboxMessageKind, topic: string, payload: string): OutboxRecord {
    const record: OutboxRecord = { id: this.nextId++, kind, topic, payload, appendedMs: this.options.clock.nowMs() };
    this.records.set(record.id, record);
    this.bytes += payload.length;
    let dropped = 0;
    while (this.records.size > this.options.maxMessages) {
      const oldest = [...this.records.values()].find((r) => r.kind === "telemetry");
      if (!oldest) break;
      this.remove(oldest);
      this.counters.dropped++;
      dropped++;
    }
    if (dropped > 0 && this.counters.dropped === dropped) {
      this.options.logger.warn({ maxMessages: this.options.maxMessages }, "outbox (memory): bound reached; oldest telemetry is being dropped");
    }
    return record;
  }

  acknowledge(id: number): void {
    const record = this.records.get(id);
    if (record) this.remove(record);
  }

  nextBacklog(skip: (id: number) => boolean): OutboxRecord | undefined {
    for (const record of this.records.values()) {
      if (record.id <= this.scanAfterId || skip(record.id)) continue;
      this.scanAfterId = record.id;
      return record;
    }
    return undefined;
  }

  rewind(): void {
    this.scanAfterId = 0;
  }

  maintain(): void {
    const cutoffMs = this.options.clock.nowMs() - this.options.maxAgeMs;
    for (const record of [...this.records.values()]) {
      if (record.appendedMs >= cutoffMs) break;
      this.remove(record);
      if (record.kind === "telemetry") this.counters.dropped++;
      else this.counters.droppedAcks++;
    }
  }

  stats(): OutboxStats {
    return { backlog: this.records.size, backlogBytes: this.bytes, ...this.counters };
  }

  close(): void {
    this.records.clear();
    this.bytes = 0;
  }

  private remove(record: OutboxRecord): void {
    if (this.records.delete(record.id)) this.bytes -= record.payload.length;
  }
}
