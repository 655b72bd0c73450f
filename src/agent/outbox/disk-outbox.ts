import { closeSync, fdatasyncSync, ftruncateSync, mkdirSync, openSync, readdirSync, unlinkSync, writeSync } from "node:fs";
import { join } from "node:path";
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { AckRanges } from "./ack-ranges.js";
import { readAckCursor, writeAckCursor } from "./ack-cursor-file.js";
import type { Outbox, OutboxMessageKind, OutboxRecord, OutboxStats } from "./outbox.js";
import { encodeFrame } from "./record-frame.js";
import { emptySegment, segmentFirstId, type Segment } from "./segment.js";
import { SegmentReader } from "./segment-reader.js";
import { recoverSegment } from "./segment-recovery.js";

export interface DiskOutboxOptions {
  dir: string;
  /** Messages older than this are dropped (a whole segment at a time, once its newest message is this old). */
  maxAgeMs: number;
  /** The segment files never hold more than this; the oldest segment goes first. */
  maxBytes: number;
  /** Appended data is fsynced at least this often (0: after every append). */
  fsyncMs: number;
  /** Size at which a segment is closed and a new one started; by default 1/64 of maxBytes, 16 KiB to 4 MiB. */
  segmentBytes?: number;
  clock: Clock;
  logger: Logger;
}

const WRITE_FAILURE_LOG_EVERY_MS = 60_000;

/** The read position of the backlog replay. */
interface BacklogScan {
  segment: Segment;
  reader: SegmentReader;
}

/**
 * The durable outbox: append-only segment files of CRC-framed records in one directory, and a small cursor file
 * with the acknowledged ids. A message is written (to the page cache, so a killed agent loses nothing; fsynced
 * every fsyncMs against power loss) before it is published, and its segment is deleted only once every record in
 * it was acknowledged by the broker. The cursor is persisted by maintain(), about once a second: after a restart
 * at most that last second of acknowledged messages is sent again. Only segment metadata is held in memory;
 * the backlog is read back a chunk at a time.
 */
export class DiskOutbox implements Outbox {
  readonly durable = true;
  private readonly segments: Segment[] = [];
  private active: { segment: Segment; fd: number } | undefined;
  private readonly acked: AckRanges;
  private nextId: number;
  private totalBytes = 0;
  private scan: BacklogScan | undefined;
  /** The backlog read continues in the first segment whose firstId is at least this. */
  private scanFromFirstId = 0;
  private unsynced = false;
  private lastSyncMs: number;
  private cursorDirty = false;
  private lastWriteFailureLogMs = Number.NEGATIVE_INFINITY;
  private readonly segmentBytes: number;
  private readonly counters = { dropped: 0, droppedAcks: 0, tornRecords: 0, writeFailures: 0 };

  /** Opens (creating it if needed) the outbox directory and recovers what an earlier run left there. Throws on an unusable directory. */
  constructor(private readonly options: DiskOutboxOptions) {
    const { dir, clock, logger } = options;
    this.segmentBytes = options.segmentBytes ?? Math.min(4 * 1024 * 1024, Math.max(16 * 1024, Math.floor(options.maxBytes / 64)));
    this.lastSyncMs = clock.nowMs();
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const files = readdirSync(dir)
      .map((name) => ({ name, firstId: segmentFirstId(name) }))
      .filter((f): f is { name: string; firstId: number } => f.firstId !== undefined)
      .sort((a, b) => a.firstId - b.firstId);
    for (const file of files) {
      const { segment, torn } = recoverSegment(join(dir, file.name), file.firstId);
      if (torn) {
        this.counters.tornRecords++;
        logger.warn({ segment: segment.path, ...torn }, "outbox: damaged record at the end of a segment (torn write); cut off");
      }
      if (segment.records === 0) {
        unlinkSync(segment.path);
        continue;
      }
      this.segments.push(segment);
      this.totalBytes += segment.bytes;
    }
    const cursor = readAckCursor(dir, (reason) => logger.warn({ dir, reason }, "outbox: ack cursor damaged; every stored message will be sent again"));
    this.acked = new AckRanges(cursor?.acked ?? []);
    const lastStored = this.segments.at(-1)?.lastId ?? 0;
    // Never reuse an id: one the cursor calls acknowledged may have been torn off the end of the last segment.
    this.nextId = Math.max(1, cursor?.nextId ?? 1, lastStored + 1, this.acked.maxId() + 1);
    this.deleteAcknowledged();
    // Writing the cursor now also proves the directory is writable before the agent relies on it.
    this.persistCursor();
    const backlog = this.stats().backlog;
    if (backlog > 0 || this.counters.tornRecords > 0) {
      logger.info({ dir, backlog, backlogBytes: this.totalBytes, segments: this.segments.length, tornRecords: this.counters.tornRecords }, "outbox: messages from an earlier run will be replayed");
    }
  }

  append(kind: OutboxMessageKind, topic: string, payload: string): OutboxRecord | undefined {
    const nowMs = this.options.clock.nowMs();
    const record: OutboxRecord = { id: this.nextId, kind, topic, payload, appendedMs: nowMs };
    const frame = encodeFrame(record);
    let active: { segment: Segment; fd: number } | undefined;
    try {
      active = this.openActive(record.id, nowMs);
      let written = 0;
      while (written < frame.length) written += writeSync(active.fd, frame, written, frame.length - written);
    } catch (err) {
      this.onWriteFailure(err, active, nowMs);
      return undefined;
    }
    this.nextId++;
    const segment = active.segment;
    segment.lastId = record.id;
    segment.records++;
    segment.bytes += frame.length;
    segment.lastAppendedMs = nowMs;
    this.totalBytes += frame.length;
    this.unsynced = true;
    if (this.options.fsyncMs === 0 || nowMs - this.lastSyncMs >= this.options.fsyncMs) this.sync(nowMs);
    if (segment.bytes >= this.segmentBytes) this.closeActive();
    this.enforceSize();
    return record;
  }

  acknowledge(id: number): void {
    this.acked.add(id);
    this.cursorDirty = true;
  }

  nextBacklog(skip: (id: number) => boolean): OutboxRecord | undefined {
    for (;;) {
      if (!this.scan) {
        const segment = this.segments.find((s) => s.firstId >= this.scanFromFirstId);
        if (!segment) return undefined;
        this.scan = { segment, reader: new SegmentReader(segment.path) };
      }
      const { segment, reader } = this.scan;
      if (reader.offset >= segment.bytes) {
        // The newest segment may still grow: stay here. An older one is done.
        if (segment === this.segments.at(-1)) return undefined;
        this.leaveScanSegment();
        continue;
      }
      const decoded = reader.next(segment.bytes);
      if (decoded.status !== "ok") {
        this.counters.tornRecords++;
        this.options.logger.warn({ segment: segment.path, offset: reader.offset, status: decoded.status }, "outbox: damaged record while replaying; rest of the segment skipped");
        this.leaveScanSegment();
        continue;
      }
      const { record } = decoded;
      if (this.acked.has(record.id) || skip(record.id)) continue;
      return record;
    }
  }

  rewind(): void {
    this.scan?.reader.close();
    this.scan = undefined;
    this.scanFromFirstId = 0;
  }

  maintain(): void {
    const nowMs = this.options.clock.nowMs();
    if (this.unsynced && nowMs - this.lastSyncMs >= this.options.fsyncMs) this.sync(nowMs);
    this.enforceAge(nowMs);
    this.enforceSize();
    this.deleteAcknowledged();
    if (this.cursorDirty) this.persistCursor();
  }

  stats(): OutboxStats {
    let backlog = 0;
    for (const segment of this.segments) backlog += segment.records - this.acked.countIn(segment.firstId, segment.lastId);
    return { backlog, backlogBytes: this.totalBytes, ...this.counters };
  }

  close(): void {
    this.rewind();
    this.closeActive();
    this.persistCursor();
  }

  private openActive(firstId: number, nowMs: number): { segment: Segment; fd: number } {
    if (this.active) return this.active;
    const segment = emptySegment(this.options.dir, firstId, nowMs);
    const fd = openSync(segment.path, "a", 0o600);
    this.active = { segment, fd };
    this.segments.push(segment);
    return this.active;
  }

  private closeActive(): void {
    const active = this.active;
    if (!active) return;
    this.active = undefined;
    try {
      if (this.unsynced) fdatasyncSync(active.fd);
      this.unsynced = false;
    } finally {
      closeSync(active.fd);
    }
    if (active.segment.records === 0) this.removeSegment(active.segment);
  }

  private sync(nowMs: number): void {
    if (this.active) fdatasyncSync(this.active.fd);
    this.unsynced = false;
    this.lastSyncMs = nowMs;
  }

  /** A failed or partial write: cut the segment back to its last complete record and start a new one next time. */
  private onWriteFailure(err: unknown, active: { segment: Segment; fd: number } | undefined, nowMs: number): void {
    this.counters.writeFailures++;
    if (active) {
      try {
        ftruncateSync(active.fd, active.segment.bytes);
      } catch {
        // the next start cuts the torn record off instead
      }
      try {
        this.closeActive();
      } catch {
        // already counted; the descriptor is closed by closeActive's finally
      }
    }
    if (nowMs - this.lastWriteFailureLogMs >= WRITE_FAILURE_LOG_EVERY_MS) {
      this.lastWriteFailureLogMs = nowMs;
      this.options.logger.error({ dir: this.options.dir, err: err instanceof Error ? err.message : String(err), writeFailures: this.counters.writeFailures }, "outbox: cannot write; messages go out without a copy on disk");
    }
  }

  private enforceAge(nowMs: number): void {
    const cutoffMs = nowMs - this.options.maxAgeMs;
    for (const segment of [...this.segments]) {
      if (segment !== this.active?.segment && segment.lastAppendedMs < cutoffMs) this.drop(segment, "age");
    }
  }

  private enforceSize(): void {
    while (this.totalBytes > this.options.maxBytes && this.segments.length > 0) {
      const oldest = this.segments[0]!;
      if (oldest === this.active?.segment) this.closeActive();
      if (this.segments[0] === oldest) this.drop(oldest, "size");
    }
  }

  /** Drops a whole segment because of a bound, counting the messages in it that were never acknowledged. */
  private drop(segment: Segment, bound: "age" | "size"): void {
    let telemetry = 0;
    let acks = 0;
    const reader = new SegmentReader(segment.path);
    try {
      for (;;) {
        const decoded = reader.next(segment.bytes);
        if (decoded.status !== "ok") break;
        if (this.acked.has(decoded.record.id)) continue;
        if (decoded.record.kind === "telemetry") telemetry++;
        else acks++;
      }
    } finally {
      reader.close();
    }
    this.counters.dropped += telemetry;
    this.counters.droppedAcks += acks;
    this.removeSegment(segment);
    if (telemetry + acks > 0) {
      const limit = bound === "age" ? { maxAgeH: this.options.maxAgeMs / 3_600_000 } : { maxMiB: this.options.maxBytes / 1024 / 1024 };
      this.options.logger.warn({ bound, ...limit, telemetry, acks, droppedTotal: this.counters.dropped }, "outbox: bound reached; oldest unsent messages dropped");
    }
  }

  private deleteAcknowledged(): void {
    for (const segment of [...this.segments]) {
      if (segment === this.active?.segment) continue;
      if (this.acked.countIn(segment.firstId, segment.lastId) >= segment.records) this.removeSegment(segment);
    }
  }

  private removeSegment(segment: Segment): void {
    const index = this.segments.indexOf(segment);
    if (index < 0) return;
    this.segments.splice(index, 1);
    this.totalBytes -= segment.bytes;
    if (this.scan?.segment === segment) this.leaveScanSegment();
    try {
      unlinkSync(segment.path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
    }
    this.acked.forgetBelow(this.segments[0]?.firstId ?? this.nextId);
    this.cursorDirty = true;
  }

  private leaveScanSegment(): void {
    if (!this.scan) return;
    this.scanFromFirstId = this.scan.segment.firstId + 1;
    this.scan.reader.close();
    this.scan = undefined;
  }

  private persistCursor(): void {
    writeAckCursor(this.options.dir, { nextId: this.nextId, acked: this.acked.toJSON() });
    this.cursorDirty = false;
  }
}
