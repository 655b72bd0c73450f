import { closeSync, openSync, readSync } from "node:fs";
import { decodeFrame, FRAME_HEADER_BYTES, type FrameDecode } from "./record-frame.js";

const CHUNK_BYTES = 64 * 1024;

/**
 * Reads the records of one segment file in order, a chunk at a time, so a large backlog is never held in memory.
 * Reads see what the writer appended after the reader was opened (the active segment grows while replaying).
 */
export class SegmentReader {
  private readonly fd: number;
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private chunkStart = 0;
  private chunkBytes = 0;
  /** File offset of the next record. */
  offset = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, "r");
  }

  /** The record at the current offset (advancing past it when complete), limited to the first endOffset bytes. */
  next(endOffset: number): FrameDecode {
    const decoded = this.decodeAt(this.offset, endOffset);
    if (decoded.status === "ok") this.offset += decoded.frameBytes;
    return decoded;
  }

  close(): void {
    closeSync(this.fd);
  }

  private decodeAt(offset: number, endOffset: number): FrameDecode {
    let decoded = this.decodeBuffered(offset, endOffset);
    if (decoded.status !== "incomplete") return decoded;
    // Not (all) in the buffered chunk: read from offset, as much as the frame needs.
    const wanted = Math.min(Math.max(CHUNK_BYTES, decoded.frameBytes ?? FRAME_HEADER_BYTES), endOffset - offset);
    if (wanted <= 0) return { status: "incomplete", frameBytes: decoded.frameBytes };
    if (this.chunk.length < wanted) this.chunk = Buffer.allocUnsafe(wanted);
    this.chunkStart = offset;
    this.chunkBytes = readSync(this.fd, this.chunk, 0, wanted, offset);
    decoded = this.decodeBuffered(offset, endOffset);
    return decoded;
  }

  private decodeBuffered(offset: number, endOffset: number): FrameDecode {
    const from = offset - this.chunkStart;
    if (from < 0 || from >= this.chunkBytes) return { status: "incomplete", frameBytes: undefined };
    const until = Math.min(this.chunkBytes, endOffset - this.chunkStart);
    return decodeFrame(this.chunk.subarray(0, until), from);
  }
}
