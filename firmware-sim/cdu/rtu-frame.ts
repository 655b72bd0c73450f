import { hasValidCrc, withCrc } from "./rtu-crc.js";

/** A request frame that passed its CRC check: unit id, function code, and the bytes between them and the CRC. */
export interface RtuFrame {
  unitId: number;
  functionCode: number;
  data: Buffer;
}

/** Every request this parser frames by its function code is at least this long (03/04/05/06: 8 bytes). */
const MIN_KNOWN_FRAME = 8;

/** Modbus exception codes the simulated devices answer with. */
export const ModbusException = {
  IllegalFunction: 1,
  IllegalDataAddress: 2,
  IllegalDataValue: 3,
  DeviceFailure: 4,
} as const;

const MAX_RTU_FRAME_BYTES = 256;

/** Bytes after the header a request of this function code carries, when fixed; undefined when the frame says. */
function fixedRequestLength(functionCode: number): number | undefined {
  switch (functionCode) {
    case 1:
    case 2:
    case 3:
    case 4:
    case 5:
    case 6:
      return 8;
    default:
      return undefined;
  }
}

export interface RtuFrameParserOptions {
  /**
   * Silence longer than this between chunks ends any half-received frame (RTU's 3.5-character rule, with the slack a
   * pty or USB adapter needs). Default 50.
   */
  interFrameGapMs?: number;
  /** Wall-clock ms: this is wire timing, not simulated time. */
  nowMs?: () => number;
  /** Called with each candidate length checked against the CRC while looking for the end of an unknown frame. */
  onCrcCheck?: (length: number) => void;
}

/**
 * Cuts a byte stream into RTU request frames. Lengths come from the function code (the byte count for 15/16), so a
 * frame split across reads is reassembled; a frame with a bad CRC is dropped one byte at a time until the stream
 * lines up again, and a stale half-frame is dropped after a gap.
 */
export class RtuFrameParser {
  private buffer = Buffer.alloc(0);
  private lastChunkMs = -Infinity;
  private readonly gapMs: number;
  private readonly nowMs: () => number;
  private readonly onCrcCheck: ((length: number) => void) | undefined;
  /** Frames dropped for a bad CRC (counted per resync, not per byte skipped). */
  crcErrors = 0;

  constructor(opts: RtuFrameParserOptions = {}) {
    this.gapMs = opts.interFrameGapMs ?? 50;
    this.nowMs = opts.nowMs ?? Date.now;
    this.onCrcCheck = opts.onCrcCheck;
  }

  push(chunk: Uint8Array): RtuFrame[] {
    const now = this.nowMs();
    if (this.buffer.length > 0 && now - this.lastChunkMs > this.gapMs) this.buffer = Buffer.alloc(0);
    this.lastChunkMs = now;
    this.buffer = Buffer.concat([this.buffer, chunk]);
    const frames: RtuFrame[] = [];
    let resyncing = false;
    for (;;) {
      const length = this.frameLength();
      if (length === undefined && this.buffer.length >= MIN_KNOWN_FRAME) {
        // No known function at the head and no CRC-valid frame: garbage (or a damaged frame); slide by one byte.
        if (!resyncing) this.crcErrors++;
        resyncing = true;
        this.buffer = this.buffer.subarray(1);
        continue;
      }
      if (length === undefined || this.buffer.length < length) break;
      const candidate = this.buffer.subarray(0, length);
      if (hasValidCrc(candidate)) {
        frames.push({ unitId: candidate[0] ?? 0, functionCode: candidate[1] ?? 0, data: Buffer.from(candidate.subarray(2, length - 2)) });
        this.buffer = this.buffer.subarray(length);
        resyncing = false;
      } else {
        if (!resyncing) this.crcErrors++;
        resyncing = true;
        this.buffer = this.buffer.subarray(1);
      }
    }
    // Nothing legitimate is this long; a stream of garbage must not grow the buffer forever.
    if (this.buffer.length > 512) this.buffer = Buffer.alloc(0);
    return frames;
  }

  /** Length of the frame at the head of the buffer, if it can be known yet. */
  private frameLength(): number | undefined {
    if (this.buffer.length < 2) return undefined;
    const functionCode = this.buffer[1] ?? 0;
    const fixed = fixedRequestLength(functionCode);
    if (fixed !== undefined) return fixed;
    if (functionCode === 15 || functionCode === 16) return this.buffer.length < 7 ? undefined : 9 + (this.buffer[6] ?? 0);
    // Unknown function: only the CRC can say where it ends. An RTU frame is at most 256 bytes, so look no further:
    // scanning the whole buffer made garbage cost the cube of its length.
    const limit = Math.min(this.buffer.length, MAX_RTU_FRAME_BYTES);
    for (let end = 4; end <= limit; end++) {
      this.onCrcCheck?.(end);
      if (hasValidCrc(this.buffer.subarray(0, end))) return end;
    }
    return undefined;
  }
}

/** Response to a read (03/04): byte count, then the words big-endian. */
export function encodeReadResponse(unitId: number, functionCode: number, words: readonly number[]): Buffer {
  const frame = Buffer.alloc(3 + words.length * 2);
  frame[0] = unitId;
  frame[1] = functionCode;
  frame[2] = words.length * 2;
  words.forEach((w, i) => frame.writeUInt16BE(w & 0xffff, 3 + i * 2));
  return withCrc(frame);
}

/** Response to 06 (echo of address and value) or 16 (address and quantity). */
export function encodeWriteResponse(unitId: number, functionCode: number, address: number, valueOrCount: number): Buffer {
  const frame = Buffer.alloc(6);
  frame[0] = unitId;
  frame[1] = functionCode;
  frame.writeUInt16BE(address, 2);
  frame.writeUInt16BE(valueOrCount & 0xffff, 4);
  return withCrc(frame);
}

export function encodeException(unitId: number, functionCode: number, exceptionCode: number): Buffer {
  return withCrc(Buffer.from([unitId, (functionCode | 0x80) & 0xff, exceptionCode]));
}

/** A request frame for a master (tests, tools): unit, function, data bytes, CRC. */
export function encodeRequest(unitId: number, functionCode: number, data: Uint8Array): Buffer {
  return withCrc(Buffer.concat([Buffer.from([unitId, functionCode]), data]));
}
