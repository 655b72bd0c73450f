import { crc32 } from "node:zlib";
import type { OutboxMessageKind, OutboxRecord } from "./outbox.js";

/**
 * On-disk framing of one outbox record:
 *   u32 LE body length | u32 LE CRC32 of the body | body
 *   body = u8 format (1) | u8 kind (1 telemetry, 2 ack) | u48 LE id | u48 LE appendedMs | u16 LE topic length | topic | payload
 * The length and CRC let a reader tell a complete record from a torn write (crash, power loss) or a damaged one.
 */
export const FRAME_HEADER_BYTES = 8;
const BODY_FIXED_BYTES = 16;
const FORMAT = 1;
/** Protocol payloads are at most 64 KiB; anything claiming far more is damage, not data. */
export const MAX_BODY_BYTES = 1024 * 1024;

const KIND_CODES: Record<OutboxMessageKind, number> = { telemetry: 1, ack: 2 };

export function encodeFrame(record: OutboxRecord): Buffer {
  const topic = Buffer.from(record.topic, "utf8");
  const payloadBytes = Buffer.byteLength(record.payload, "utf8");
  const bodyBytes = BODY_FIXED_BYTES + topic.length + payloadBytes;
  const frame = Buffer.allocUnsafe(FRAME_HEADER_BYTES + bodyBytes);
  frame.writeUInt32LE(bodyBytes, 0);
  let at = FRAME_HEADER_BYTES;
  frame.writeUInt8(FORMAT, at);
  frame.writeUInt8(KIND_CODES[record.kind], at + 1);
  frame.writeUIntLE(record.id, at + 2, 6);
  frame.writeUIntLE(record.appendedMs, at + 8, 6);
  frame.writeUInt16LE(topic.length, at + 14);
  at += BODY_FIXED_BYTES;
  topic.copy(frame, at);
  frame.write(record.payload, at + topic.length, "utf8");
  frame.writeUInt32LE(crc32(frame.subarray(FRAME_HEADER_BYTES)), 4);
  return frame;
}

export type FrameDecode =
  | { status: "ok"; record: OutboxRecord; frameBytes: number }
  /** Fewer bytes than the frame needs: the end of the data so far, or a torn tail. */
  | { status: "incomplete"; frameBytes: number | undefined }
  | { status: "corrupt"; reason: string };

/** Decodes the frame starting at buffer[offset]. */
export function decodeFrame(buffer: Buffer, offset = 0): FrameDecode {
  const available = buffer.length - offset;
  if (available < FRAME_HEADER_BYTES) return { status: "incomplete", frameBytes: undefined };
  const bodyBytes = buffer.readUInt32LE(offset);
  if (bodyBytes < BODY_FIXED_BYTES || bodyBytes > MAX_BODY_BYTES) return { status: "corrupt", reason: `implausible record length ${bodyBytes}` };
  const frameBytes = FRAME_HEADER_BYTES + bodyBytes;
  if (available < frameBytes) return { status: "incomplete", frameBytes };
  const body = buffer.subarray(offset + FRAME_HEADER_BYTES, offset + frameBytes);
  if (crc32(body) !== buffer.readUInt32LE(offset + 4)) return { status: "corrupt", reason: "CRC mismatch" };
  const format = body.readUInt8(0);
  const kindCode = body.readUInt8(1);
  const topicBytes = body.readUInt16LE(14);
  if (format !== FORMAT || (kindCode !== 1 && kindCode !== 2) || BODY_FIXED_BYTES + topicBytes > bodyBytes) {
    return { status: "corrupt", reason: `unknown record format ${format}/${kindCode}` };
  }
  return {
    status: "ok",
    frameBytes,
    record: {
      id: body.readUIntLE(2, 6),
      appendedMs: body.readUIntLE(8, 6),
      kind: kindCode === 1 ? "telemetry" : "ack",
      topic: body.toString("utf8", BODY_FIXED_BYTES, BODY_FIXED_BYTES + topicBytes),
      payload: body.toString("utf8", BODY_FIXED_BYTES + topicBytes),
    },
  };
}
