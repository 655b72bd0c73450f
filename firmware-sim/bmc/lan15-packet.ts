import { createHash } from "node:crypto";
import { RMCP_HEADER_BYTES, rmcpIpmiHeader } from "./rmcp.js";

/**
 * The IPMI v1.5 LAN session packet (IPMI v2.0 section 13.6, table 13-8): auth type, session sequence number,
 * session id, a 16-byte AuthCode unless the auth type is none, message length, IPMI message.
 */
export const Lan15AuthType = { None: 0x00, Md2: 0x01, Md5: 0x02, Password: 0x04 } as const;

export interface Lan15Packet {
  authType: number;
  sequence: number;
  sessionId: number;
  authCode: Buffer | undefined;
  message: Buffer;
}

export function parseLan15Packet(datagram: Buffer): Lan15Packet | undefined {
  let o = RMCP_HEADER_BYTES;
  if (datagram.length < o + 10) return undefined;
  const authType = datagram.readUInt8(o++) & 0x0f;
  const sequence = datagram.readUInt32LE(o);
  o += 4;
  const sessionId = datagram.readUInt32LE(o);
  o += 4;
  let authCode: Buffer | undefined;
  if (authType !== Lan15AuthType.None) {
    if (datagram.length < o + 17) return undefined;
    authCode = Buffer.from(datagram.subarray(o, o + 16));
    o += 16;
  }
  const length = datagram.readUInt8(o++);
  // A trailing legacy pad byte (section 13.6) may follow the message; it is not part of it.
  if (datagram.length < o + length) return undefined;
  return { authType, sequence, sessionId, authCode, message: Buffer.from(datagram.subarray(o, o + length)) };
}

/** Password as the 16-byte zero-padded field MD5 AuthCodes are keyed with. */
export function passwordField(password: string): Buffer {
  const field = Buffer.alloc(16);
  Buffer.from(password, "latin1").copy(field, 0, 0, 16);
  return field;
}

/** MD5 AuthCode (section 22.17.1): MD5(password, session id, message, session sequence, password). */
export function md5AuthCode(password: Buffer, sessionId: number, message: Buffer, sequence: number): Buffer {
  const u32 = (v: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0, 0);
    return b;
  };
  return createHash("md5").update(password).update(u32(sessionId)).update(message).update(u32(sequence)).update(password).digest();
}

export function buildLan15Packet(packet: Omit<Lan15Packet, "authCode">, password?: Buffer): Buffer {
  const head = Buffer.alloc(9);
  head.writeUInt8(packet.authType, 0);
  head.writeUInt32LE(packet.sequence >>> 0, 1);
  head.writeUInt32LE(packet.sessionId >>> 0, 5);
  const parts = [rmcpIpmiHeader(), head];
  if (packet.authType === Lan15AuthType.Md5) {
    if (!password) throw new RangeError("an MD5-authenticated packet needs the password");
    parts.push(md5AuthCode(password, packet.sessionId, packet.message, packet.sequence));
  }
  parts.push(Buffer.from([packet.message.length]), packet.message);
  return Buffer.concat(parts);
}
