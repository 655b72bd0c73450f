import { timingSafeEqual } from "node:crypto";
import { authHash, findSuite, integrityHash, rakp4IcvBytes } from "./cipher-suites.js";
import { isPrivilegeLevel, Privilege, type PrivilegeLevel } from "./privilege.js";
import { additionalKeys, rakp2AuthCode, rakp3AuthCode, rakp4IntegrityCheck, sessionIntegrityKey, userKey, type RakpParties } from "./rakp-keys.js";
import { RmcpPlusSession, type RmcpPlusSessionTable } from "./rmcp-plus-session.js";

/** RMCP+ and RAKP status codes (IPMI v2.0 table 13-15). */
export const RakpStatus = {
  NoErrors: 0x00,
  InsufficientResources: 0x01,
  InvalidSessionId: 0x02,
  InvalidAuthAlgorithm: 0x04,
  InvalidIntegrityAlgorithm: 0x05,
  InvalidRole: 0x09,
  UnauthorizedRole: 0x0a,
  InvalidNameLength: 0x0c,
  UnauthorizedName: 0x0d,
  InvalidIntegrityCheckValue: 0x0f,
  InvalidConfidentialityAlgorithm: 0x10,
  NoCipherSuiteMatch: 0x11,
  IllegalParameter: 0x12,
} as const;

export interface HandshakeContext {
  sessions: RmcpPlusSessionTable;
  username: string;
  password: string;
  /** Highest privilege the account holds (an iDRAC fan-control account is Administrator). */
  userMaxPrivilege: PrivilegeLevel;
  cipherSuiteIds: readonly number[];
  bmcGuid: Buffer;
  randomBytes: (n: number) => Buffer;
  nowMs: number;
  /**
   * Answer Open Session with a console session id other than the one asked for (the session itself goes on with
   * the right one), as some BMCs do: ipmitool then warns "Console session ID is not what we requested" on stderr
   * and carries on.
   */
  misreportConsoleId?: boolean;
}

const OPEN_SESSION_REQUEST_BYTES = 32;
const RAKP1_MIN_BYTES = 28;
const RAKP3_MIN_BYTES = 8;
const MAX_USERNAME_BYTES = 16;
const NAME_ONLY_LOOKUP = 0x10;

/** Open Session Request (13.17) → Open Session Response (13.18), creating the session on success. */
export function handleOpenSession(req: Buffer, ctx: HandshakeContext): Buffer {
  const tag = req.length > 0 ? req.readUInt8(0) : 0;
  if (req.length < OPEN_SESSION_REQUEST_BYTES) return openSessionError(tag, RakpStatus.IllegalParameter, 0);
  const consoleId = req.readUInt32LE(4);
  const requested = req.readUInt8(1) & 0x0f;
  const algorithm = (offset: number, type: number): number | undefined =>
    req.readUInt8(offset) === type && req.readUInt8(offset + 3) === 8 ? req.readUInt8(offset + 4) & 0x3f : undefined;
  const auth = algorithm(8, 0);
  const integrity = algorithm(16, 1);
  const confidentiality = algorithm(24, 2);
  if (auth === undefined || integrity === undefined || confidentiality === undefined) {
    return openSessionError(tag, RakpStatus.IllegalParameter, consoleId);
  }
  const suite = findSuite(ctx.cipherSuiteIds, auth, integrity, confidentiality);
  if (!suite) return openSessionError(tag, RakpStatus.NoCipherSuiteMatch, consoleId);
  // 0 asks for "the highest level the proposed algorithms allow"; anything else is capped there.
  const maxPrivilege = requested === 0 ? ctx.userMaxPrivilege : requested;
  if (!isPrivilegeLevel(maxPrivilege) || maxPrivilege > ctx.userMaxPrivilege) return openSessionError(tag, RakpStatus.InvalidRole, consoleId);
  const bmcId = newSessionId(ctx);
  ctx.sessions.add(new RmcpPlusSession(bmcId, consoleId, suite, maxPrivilege, ctx.nowMs), ctx.nowMs);

  const rsp = Buffer.alloc(36);
  rsp.writeUInt8(tag, 0);
  rsp.writeUInt8(RakpStatus.NoErrors, 1);
  rsp.writeUInt8(maxPrivilege, 2);
  rsp.writeUInt32LE(ctx.misreportConsoleId ? (consoleId ^ 0xffff_ffff) >>> 0 : consoleId, 4);
  rsp.writeUInt32LE(bmcId, 8);
  writeAlgorithmPayload(rsp, 12, 0, suite.auth);
  writeAlgorithmPayload(rsp, 20, 1, suite.integrity);
  writeAlgorithmPayload(rsp, 28, 2, suite.confidentiality);
  return rsp;
}

/** RAKP 1 (13.20) → RAKP 2 (13.21): checks the user, draws Rc and proves the BMC knows the password. */
export function handleRakp1(req: Buffer, ctx: HandshakeContext): Buffer {
  const tag = req.length > 0 ? req.readUInt8(0) : 0;
  if (req.length < RAKP1_MIN_BYTES) return rakpError(tag, RakpStatus.IllegalParameter, 0);
  const session = ctx.sessions.get(req.readUInt32LE(4));
  if (!session || session.state !== "opened") return rakpError(tag, RakpStatus.InvalidSessionId, 0);
  session.lastActivityMs = ctx.nowMs;
  const fail = (status: number): Buffer => {
    ctx.sessions.remove(session.bmcSessionId);
    return rakpError(tag, status, session.consoleSessionId);
  };
  const role = req.readUInt8(24);
  const nameLength = req.readUInt8(27);
  if (nameLength > MAX_USERNAME_BYTES || req.length < RAKP1_MIN_BYTES + nameLength) return fail(RakpStatus.InvalidNameLength);
  const username = req.subarray(28, 28 + nameLength).toString("latin1");
  if (username !== ctx.username) return fail(RakpStatus.UnauthorizedName);
  const level = role & 0x0f;
  if ((role & ~(0x0f | NAME_ONLY_LOOKUP)) !== 0 || !isPrivilegeLevel(level)) return fail(RakpStatus.InvalidRole);
  if (level > session.maxPrivilege) return fail(RakpStatus.UnauthorizedRole);

  session.maxPrivilege = level;
  session.rakp = {
    consoleSessionId: session.consoleSessionId,
    bmcSessionId: session.bmcSessionId,
    consoleRandom: Buffer.from(req.subarray(8, 24)),
    bmcRandom: ctx.randomBytes(16),
    bmcGuid: ctx.bmcGuid,
    role,
    username,
  };
  session.state = "rakp2-sent";
  const authCode = rakp2AuthCode(authHash(session.suite.auth), userKey(ctx.password), session.rakp);
  const head = Buffer.alloc(40);
  head.writeUInt8(tag, 0);
  head.writeUInt8(RakpStatus.NoErrors, 1);
  head.writeUInt32LE(session.consoleSessionId, 4);
  session.rakp.bmcRandom.copy(head, 8);
  ctx.bmcGuid.copy(head, 24);
  return Buffer.concat([head, authCode]);
}

/** RAKP 3 (13.22) → RAKP 4 (13.23): verifies the console's proof, derives SIK, K1, K2 and activates. */
export function handleRakp3(req: Buffer, ctx: HandshakeContext): Buffer {
  const tag = req.length > 0 ? req.readUInt8(0) : 0;
  if (req.length < RAKP3_MIN_BYTES) return rakpError(tag, RakpStatus.IllegalParameter, 0);
  const session = ctx.sessions.get(req.readUInt32LE(4));
  if (!session || session.state !== "rakp2-sent" || !session.rakp) return rakpError(tag, RakpStatus.InvalidSessionId, 0);
  const parties: RakpParties = session.rakp;
  const consoleStatus = req.readUInt8(1);
  if (consoleStatus !== RakpStatus.NoErrors) {
    // The console rejected RAKP 2 (usually: wrong password on its side); the session dies here.
    ctx.sessions.remove(session.bmcSessionId);
    return rakpError(tag, consoleStatus, session.consoleSessionId);
  }
  const hash = authHash(session.suite.auth);
  const kuid = userKey(ctx.password);
  const expected = rakp3AuthCode(hash, kuid, parties);
  const got = req.subarray(8);
  if (got.length !== expected.length || !timingSafeEqual(got, expected)) {
    ctx.sessions.remove(session.bmcSessionId);
    return rakpError(tag, RakpStatus.InvalidIntegrityCheckValue, session.consoleSessionId);
  }
  const sik = sessionIntegrityKey(hash, kuid, parties);
  const { k1, k2 } = additionalKeys(hash, sik);
  const integrity = integrityHash(session.suite.integrity);
  session.protection = {
    ...(integrity ? { integrity: { ...integrity, k1 } } : {}),
    ...(session.suite.confidentiality !== 0 ? { aesKey: k2.subarray(0, 16) } : {}),
  };
  session.state = "active";
  session.privilege = Math.min(session.maxPrivilege, Privilege.User) as PrivilegeLevel;
  session.lastActivityMs = ctx.nowMs;
  const icv = rakp4IntegrityCheck(hash, sik, parties).subarray(0, rakp4IcvBytes(session.suite.auth));
  const head = Buffer.alloc(8);
  head.writeUInt8(tag, 0);
  head.writeUInt8(RakpStatus.NoErrors, 1);
  head.writeUInt32LE(session.consoleSessionId, 4);
  return Buffer.concat([head, icv]);
}

function newSessionId(ctx: HandshakeContext): number {
  for (;;) {
    const id = ctx.randomBytes(4).readUInt32LE(0);
    if (id !== 0 && !ctx.sessions.has(id)) return id;
  }
}

function writeAlgorithmPayload(buf: Buffer, offset: number, type: number, algorithm: number): void {
  buf.writeUInt8(type, offset);
  buf.writeUInt8(8, offset + 3);
  buf.writeUInt8(algorithm, offset + 4);
}

function openSessionError(tag: number, status: number, consoleId: number): Buffer {
  const rsp = Buffer.alloc(8);
  rsp.writeUInt8(tag, 0);
  rsp.writeUInt8(status, 1);
  rsp.writeUInt32LE(consoleId >>> 0, 4);
  return rsp;
}

function rakpError(tag: number, status: number, consoleId: number): Buffer {
  return openSessionError(tag, status, consoleId);
}
