import { createHmac } from "node:crypto";
import type { HashName } from "./cipher-suites.js";

/**
 * The RAKP key exchange (IPMI v2.0 section 13.31/13.32) as pure functions, so tests can check each value
 * against one computed independently. Multi-byte session ids go over the wire and into the HMACs
 * least-significant byte first; random numbers and the GUID as the bytes on the wire.
 */

export interface RakpParties {
  /** Remote console session id (SIDm). */
  consoleSessionId: number;
  /** BMC session id (SIDc). */
  bmcSessionId: number;
  /** Remote console random number Rm (16 bytes). */
  consoleRandom: Buffer;
  /** BMC random number Rc (16 bytes). */
  bmcRandom: Buffer;
  bmcGuid: Buffer;
  /** The role byte of RAKP 1 as sent: privilege level and the name-only lookup bit. */
  role: number;
  username: string;
}

export function hmac(hash: HashName, key: Buffer, ...parts: Buffer[]): Buffer {
  const mac = createHmac(hash, key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

function u32le(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value >>> 0, 0);
  return b;
}

function roleAndName(p: RakpParties): Buffer {
  const name = Buffer.from(p.username, "latin1");
  return Buffer.concat([Buffer.from([p.role, name.length]), name]);
}

/**
 * Kuid: the user's password as the HMAC key. IPMI stores passwords as 20-byte zero-padded fields;
 * HMAC zero-pads short keys itself, so the padding changes nothing and is left out.
 */
export function userKey(password: string): Buffer {
  return Buffer.from(password, "latin1");
}

/** RAKP 2 key exchange authentication code: HMAC_Kuid(SIDm, SIDc, Rm, Rc, GUIDc, ROLEm, ULENGTHm, UNAMEm). */
export function rakp2AuthCode(hash: HashName, kuid: Buffer, p: RakpParties): Buffer {
  return hmac(hash, kuid, u32le(p.consoleSessionId), u32le(p.bmcSessionId), p.consoleRandom, p.bmcRandom, p.bmcGuid, roleAndName(p));
}

/** RAKP 3 authentication code the console must send: HMAC_Kuid(Rc, SIDm, ROLEm, ULENGTHm, UNAMEm). */
export function rakp3AuthCode(hash: HashName, kuid: Buffer, p: RakpParties): Buffer {
  return hmac(hash, kuid, p.bmcRandom, u32le(p.consoleSessionId), roleAndName(p));
}

/** Session integrity key: HMAC_KG(Rm, Rc, ROLEm, ULENGTHm, UNAMEm); with no BMC key KG is Kuid. */
export function sessionIntegrityKey(hash: HashName, kg: Buffer, p: RakpParties): Buffer {
  return hmac(hash, kg, p.consoleRandom, p.bmcRandom, roleAndName(p));
}

/** RAKP 4 integrity check value before truncation: HMAC_SIK(Rm, SIDc, GUIDc). */
export function rakp4IntegrityCheck(hash: HashName, sik: Buffer, p: RakpParties): Buffer {
  return hmac(hash, sik, p.consoleRandom, u32le(p.bmcSessionId), p.bmcGuid);
}

/**
 * K1 (integrity key) and K2 (AES key source) = HMAC_SIK of constants 0x01… and 0x02…. The constants are
 * 20 bytes for SHA-256 too — that is what the spec's errata and every shipping implementation (ipmitool,
 * OpenIPMI) use, and what a real ipmitool will expect.
 */
export function additionalKeys(hash: HashName, sik: Buffer): { k1: Buffer; k2: Buffer } {
  return { k1: hmac(hash, sik, Buffer.alloc(20, 0x01)), k2: hmac(hash, sik, Buffer.alloc(20, 0x02)) };
}
