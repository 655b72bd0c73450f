import { join } from "node:path";

/** One segment file: a run of records with consecutive ids, named after the first id. */
export interface Segment {
  firstId: number;
  /** Id of the last record (firstId − 1 while empty). */
  lastId: number;
  records: number;
  /** Bytes of complete records (the file's length). */
  bytes: number;
  /** Clock time the newest record was appended: the whole segment is past the age bound once this is. */
  lastAppendedMs: number;
  path: string;
}

const SEGMENT_NAME = /^(\d{16})\.seg$/;

export function segmentFileName(firstId: number): string {
  return `${String(firstId).padStart(16, "0")}.seg`;
}

/** The first id of a segment file name, or undefined for any other file. */
export function segmentFirstId(fileName: string): number | undefined {
  const match = SEGMENT_NAME.exec(fileName);
  return match ? Number(match[1]) : undefined;
}

export function emptySegment(dir: string, firstId: number, nowMs: number): Segment {
  return { firstId, lastId: firstId - 1, records: 0, bytes: 0, lastAppendedMs: nowMs, path: join(dir, segmentFileName(firstId)) };
}
