import { createCipheriv, createDecipheriv, createHmac, timingSafeEqual } from "node:crypto";
import type { HashName } from "./cipher-suites.js";
import { RMCP_HEADER_BYTES, rmcpIpmiHeader } from "./rmcp.js";

/**
 * The IPMI v2.0 RMCP+ session packet (section 13.6, 13.28): auth-type 06h, payload type with the encrypted (bit 7)
 * and authenticated (bit 6) flags, session id, session sequence number, payload length; for authenticated
 * packets a trailer of integrity pad, pad length, next header (07h) and the AuthCode over everything from the
 * auth-type byte to the next header.
 */
export const AUTH_FORMAT_RMCP_PLUS = 0x06;
export const PayloadType = {
  Ipmi: 0x00,
  Sol: 0x01,
  Oem: 0x02,
  OpenSessionRequest: 0x10,
  OpenSessionResponse: 0x11,
  Rakp1: 0x12,
  Rakp2: 0x13,
  Rakp3: 0x14,
  Rakp4: 0x15,
} as const;

const ENCRYPTED = 0x80;
const AUTHENTICATED = 0x40;
/** Auth type (1), payload type (1), session id (4), sequence (4), payload length (2). */
const SESSION_HEADER_BYTES = 12;
const PAYLOAD_OFFSET = RMCP_HEADER_BYTES + SESSION_HEADER_BYTES;
const NEXT_HEADER = 0x07;
const AES_BLOCK_BYTES = 16;

export interface RmcpPlusHeader {
  payloadType: number;
  encrypted: boolean;
  authenticated: boolean;
  sessionId: number;
  sequence: number;
  payloadLength: number;
}

/** Keys and algorithms of an active session; an empty object before activation. */
export interface SessionProtection {
  integrity?: { hash: HashName; authCodeBytes: number; k1: Buffer };
  /** First 16 bytes of K2, when the session uses AES-CBC-128. */
  aesKey?: Buffer;
}

export function parseRmcpPlusHeader(datagram: Buffer): RmcpPlusHeader | undefined {
  if (datagram.length < PAYLOAD_OFFSET) return undefined;
  if (datagram.readUInt8(RMCP_HEADER_BYTES) !== AUTH_FORMAT_RMCP_PLUS) return undefined;
  const typeByte = datagram.readUInt8(RMCP_HEADER_BYTES + 1);
  const header: RmcpPlusHeader = {
    payloadType: typeByte & 0x3f,
    encrypted: (typeByte & ENCRYPTED) !== 0,
    authenticated: (typeByte & AUTHENTICATED) !== 0,
    sessionId: datagram.readUInt32LE(RMCP_HEADER_BYTES + 2),
    sequence: datagram.readUInt32LE(RMCP_HEADER_BYTES + 6),
    payloadLength: datagram.readUInt16LE(RMCP_HEADER_BYTES + 10),
  };
  if (PAYLOAD_OFFSET + header.payloadLength > datagram.length) return undefined;
  return header;
}

export type OpenedPayload = { ok: true; payload: Buffer } | { ok: false; reason: string };

/**
 * Checks the AuthCode and decrypts, as the session's algorithms demand. A packet that claims less protection
 * than the session requires is rejected: otherwise anyone could inject unauthenticated commands.
 */
export function openRmcpPlusPayload(datagram: Buffer, header: RmcpPlusHeader, protection: SessionProtection): OpenedPayload {
  const field = datagram.subarray(PAYLOAD_OFFSET, PAYLOAD_OFFSET + header.payloadLength);
  if (protection.integrity) {
    if (!header.authenticated) return { ok: false, reason: "session requires integrity but packet is unauthenticated" };
    const { hash, authCodeBytes, k1 } = protection.integrity;
    const trailerStart = PAYLOAD_OFFSET + header.payloadLength;
    const authCodeStart = datagram.length - authCodeBytes;
    if (authCodeStart - 2 < trailerStart) return { ok: false, reason: "integrity trailer truncated" };
    const padLength = datagram.readUInt8(authCodeStart - 2);
    if (datagram.readUInt8(authCodeStart - 1) !== NEXT_HEADER) return { ok: false, reason: "next header is not 07h" };
    if (trailerStart + padLength + 2 !== authCodeStart) return { ok: false, reason: "integrity pad length does not match the packet" };
    const expected = createHmac(hash, k1).update(datagram.subarray(RMCP_HEADER_BYTES, authCodeStart)).digest().subarray(0, authCodeBytes);
    const got = datagram.subarray(authCodeStart);
    if (!timingSafeEqual(expected, got)) return { ok: false, reason: "AuthCode mismatch" };
  } else if (header.authenticated) {
    return { ok: false, reason: "packet claims integrity the session does not have" };
  }
  if (protection.aesKey) {
    if (!header.encrypted) return { ok: false, reason: "session requires confidentiality but packet is clear" };
    return decryptPayload(protection.aesKey, field);
  }
  if (header.encrypted) return { ok: false, reason: "packet claims encryption the session does not have" };
  return { ok: true, payload: Buffer.from(field) };
}

/** AES-CBC-128 payload: IV, then ciphertext of payload ‖ pad 01 02 … n ‖ n, a whole number of blocks. */
export function decryptPayload(aesKey: Buffer, field: Buffer): OpenedPayload {
  if (field.length < 2 * AES_BLOCK_BYTES || field.length % AES_BLOCK_BYTES !== 0) {
    return { ok: false, reason: `encrypted payload of ${field.length} bytes is not IV plus whole AES blocks` };
  }
  const decipher = createDecipheriv("aes-128-cbc", aesKey, field.subarray(0, AES_BLOCK_BYTES));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(field.subarray(AES_BLOCK_BYTES)), decipher.final()]);
  const padLength = plain.readUInt8(plain.length - 1);
  if (padLength >= AES_BLOCK_BYTES || padLength + 1 > plain.length) return { ok: false, reason: "confidentiality pad length out of range" };
  return { ok: true, payload: plain.subarray(0, plain.length - 1 - padLength) };
}

export function encryptPayload(aesKey: Buffer, payload: Buffer, iv: Buffer): Buffer {
  const padLength = (AES_BLOCK_BYTES - ((payload.length + 1) % AES_BLOCK_BYTES)) % AES_BLOCK_BYTES;
  const pad = Buffer.from(Array.from({ length: padLength }, (_, i) => i + 1));
  const plain = Buffer.concat([payload, pad, Buffer.from([padLength])]);
  const cipher = createCipheriv("aes-128-cbc", aesKey, iv);
  cipher.setAutoPadding(false);
  return Buffer.concat([iv, cipher.update(plain), cipher.final()]);
}

export interface OutgoingPacket {
  payloadType: number;
  sessionId: number;
  sequence: number;
  payload: Buffer;
}

/** Frames (and, for an active session, encrypts and signs) one RMCP+ packet. `iv` is used only with AES. */
export function sealRmcpPlusPacket(packet: OutgoingPacket, protection: SessionProtection, iv?: Buffer): Buffer {
  let field = packet.payload;
  let typeByte = packet.payloadType & 0x3f;
  if (protection.aesKey) {
    if (!iv || iv.length !== AES_BLOCK_BYTES) throw new RangeError("AES-CBC-128 needs a 16-byte IV");
    field = encryptPayload(protection.aesKey, field, iv);
    typeByte |= ENCRYPTED;
  }
  if (protection.integrity) typeByte |= AUTHENTICATED;
  const head = Buffer.alloc(SESSION_HEADER_BYTES);
  head.writeUInt8(AUTH_FORMAT_RMCP_PLUS, 0);
  head.writeUInt8(typeByte, 1);
  head.writeUInt32LE(packet.sessionId >>> 0, 2);
  head.writeUInt32LE(packet.sequence >>> 0, 6);
  head.writeUInt16LE(field.length, 10);
  const parts = [rmcpIpmiHeader(), head, field];
  if (protection.integrity) {
    const { hash, authCodeBytes, k1 } = protection.integrity;
    // Pad so auth type … next header is a multiple of 4 bytes (section 13.28.4).
    const padLength = (4 - ((SESSION_HEADER_BYTES + field.length + 2) % 4)) % 4;
    const trailer = Buffer.concat([Buffer.alloc(padLength, 0xff), Buffer.from([padLength, NEXT_HEADER])]);
    const signed = Buffer.concat([head, field, trailer]);
    const authCode = createHmac(hash, k1).update(signed).digest().subarray(0, authCodeBytes);
    parts.push(trailer, authCode);
  }
  return Buffer.concat(parts);
}
