import { statSync, truncateSync } from "node:fs";
import type { Segment } from "./segment.js";
import { SegmentReader } from "./segment-reader.js";

export interface RecoveredSegment {
  segment: Segment;
  /** Set when the file ended in a damaged or torn record, which was cut off. */
  torn?: { atOffset: number; cutBytes: number; reason: string };
}

/**
 * Reads a segment found at start through to its end, checking every record's length and CRC. A damaged or
 * incomplete record (a write torn by a crash or power loss) and everything after it is truncated away.
 */
export function recoverSegment(path: string, firstId: number): RecoveredSegment {
  const fileBytes = statSync(path).size;
  const segment: Segment = { firstId, lastId: firstId - 1, records: 0, bytes: 0, lastAppendedMs: 0, path };
  const reader = new SegmentReader(path);
  let reason: string | undefined;
  try {
    while (reader.offset < fileBytes) {
      const decoded = reader.next(fileBytes);
      if (decoded.status === "ok") {
        if (segment.records === 0) segment.firstId = decoded.record.id;
        segment.lastId = decoded.record.id;
        segment.records++;
        segment.lastAppendedMs = Math.max(segment.lastAppendedMs, decoded.record.appendedMs);
        continue;
      }
      reason = decoded.status === "corrupt" ? decoded.reason : "incomplete record (torn write)";
      break;
    }
  } finally {
    reader.close();
  }
  segment.bytes = reader.offset;
  if (reason === undefined) return { segment };
  truncateSync(path, reader.offset);
  return { segment, torn: { atOffset: reader.offset, cutBytes: fileBytes - reader.offset, reason } };
}
