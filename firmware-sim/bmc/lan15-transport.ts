import { timingSafeEqual } from "node:crypto";
import type { Logger } from "pino";
import type { BmcCommandSet, CommandContext } from "./bmc-commands.js";
import { CompletionCode } from "./completion-codes.js";
import { buildIpmiResponse, parseIpmiRequest, type IpmiRequest } from "./ipmi-message.js";
import { buildLan15Packet, Lan15AuthType, md5AuthCode, parseLan15Packet, passwordField, type Lan15Packet } from "./lan15-packet.js";
import { isPrivilegeLevel, Privilege, type PrivilegeLevel } from "./privilege.js";
import { SequenceWindow } from "./sequence-window.js";

export interface Lan15TransportOptions {
  commands: BmcCommandSet;
  username: string;
  password: string;
  userMaxPrivilege: PrivilegeLevel;
  nowMs: () => number;
  randomBytes: (n: number) => Buffer;
  maxSessions: number;
  idleTimeoutMs: number;
  logger?: Logger;
}

interface Lan15Session {
  id: number;
  state: "challenged" | "active";
  challenge: Buffer;
  maxPrivilege: PrivilegeLevel;
  privilege: PrivilegeLevel;
  inbound: SequenceWindow;
  outboundSeq: number;
  lastActivityMs: number;
}

const CMD_GET_SESSION_CHALLENGE = 0x39;
const CMD_ACTIVATE_SESSION = 0x3a;
const NETFN_APP = 0x06;

/**
 * IPMI v1.5 LAN sessions with MD5 AuthCodes on every message (what `ipmitool -I lan` negotiates):
 * Get Session Challenge, Activate Session, then the same command set as RMCP+.
 */
export class Lan15Transport {
  private readonly sessions = new Map<number, Lan15Session>();
  private readonly password: Buffer;

  constructor(private readonly opts: Lan15TransportOptions) {
    this.password = passwordField(opts.password);
  }

  /** Activated sessions (a challenge not yet answered does not count). */
  sessionCount(): number {
    return [...this.sessions.values()].filter((s) => s.state === "active").length;
  }

  handle(datagram: Buffer): Buffer | undefined {
    const packet = parseLan15Packet(datagram);
    if (!packet) return this.drop("v1.5 packet malformed");
    const req = parseIpmiRequest(packet.message);
    if (!req) return this.drop("IPMI message checksum or length wrong");
    if (packet.sessionId === 0) return this.sessionless(packet, req);
    const session = this.sessions.get(packet.sessionId);
    if (!session) return this.drop(`no v1.5 session 0x${packet.sessionId.toString(16)}`);
    if (!this.authentic(packet)) return this.drop("v1.5 AuthCode mismatch or auth type not MD5");
    if (session.state === "challenged") {
      return req.netFn === NETFN_APP && req.cmd === CMD_ACTIVATE_SESSION ? this.activate(session, req) : this.drop("session not activated");
    }
    if (!session.inbound.accept(packet.sequence)) return this.drop(`v1.5 sequence number ${packet.sequence} outside the window`);
    return this.inSession(session, req);
  }

  private sessionless(packet: Lan15Packet, req: IpmiRequest): Buffer | undefined {
    if (packet.authType !== Lan15AuthType.None) return this.drop("sessionless message with an AuthCode");
    if (req.netFn === NETFN_APP && req.cmd === CMD_GET_SESSION_CHALLENGE) return this.unauthenticated(req, ...this.challenge(req.data));
    const result = this.opts.commands.handle(req, { session: undefined, nowMs: this.opts.nowMs(), closeSession: () => false });
    return this.unauthenticated(req, result.cc, result.data);
  }

  /** Get Session Challenge (22.16): a temporary session id and 16 random bytes, for MD5 and the known user. */
  private challenge(data: Buffer): [number, Buffer?] {
    if (data.length !== 17) return [CompletionCode.RequestDataLengthInvalid];
    if ((data.readUInt8(0) & 0x0f) !== Lan15AuthType.Md5) return [CompletionCode.InvalidDataField];
    const name = data.subarray(1, 17).toString("latin1").replace(/\0+$/, "");
    if (name !== this.opts.username) return [0x81]; // invalid user name
    this.expire();
    if (this.sessions.size >= this.opts.maxSessions) this.evictOldest();
    const id = this.newSessionId();
    const challenge = this.opts.randomBytes(16);
    this.sessions.set(id, {
      id,
      state: "challenged",
      challenge,
      maxPrivilege: this.opts.userMaxPrivilege,
      privilege: Privilege.User,
      inbound: new SequenceWindow(),
      outboundSeq: 0,
      lastActivityMs: this.opts.nowMs(),
    });
    const rsp = Buffer.alloc(20);
    rsp.writeUInt32LE(id, 0);
    challenge.copy(rsp, 4);
    return [CompletionCode.Ok, rsp];
  }

  /** Activate Session (22.17): the challenge echoed under an MD5 AuthCode proves the password. */
  private activate(session: Lan15Session, req: IpmiRequest): Buffer | undefined {
    const data = req.data;
    const reply = (cc: number, rsp?: Buffer): Buffer =>
      buildLan15Packet({ authType: Lan15AuthType.Md5, sequence: 0, sessionId: session.id, message: buildIpmiResponse(req, cc, rsp) }, this.password);
    if (data.length !== 22) return reply(CompletionCode.RequestDataLengthInvalid);
    const requested = data.readUInt8(1) & 0x0f;
    if (!data.subarray(2, 18).equals(session.challenge)) return reply(0x85); // invalid session id in request
    if (!isPrivilegeLevel(requested) || requested > session.maxPrivilege) return reply(0x86); // privilege exceeds limit
    session.state = "active";
    session.maxPrivilege = requested;
    session.privilege = Math.min(requested, Privilege.User) as PrivilegeLevel;
    session.outboundSeq = data.readUInt32LE(18);
    session.lastActivityMs = this.opts.nowMs();
    // Nonzero and far from wrapping, so the window arithmetic never meets zero.
    const inboundStart = ((this.opts.randomBytes(4).readUInt32LE(0) & 0x7fffffff) | 0x100) >>> 0;
    session.inbound.expect(inboundStart);
    const rsp = Buffer.alloc(10);
    rsp.writeUInt8(Lan15AuthType.Md5, 0);
    rsp.writeUInt32LE(session.id, 1);
    rsp.writeUInt32LE(inboundStart, 5);
    rsp.writeUInt8(requested, 9);
    return reply(CompletionCode.Ok, rsp);
  }

  private inSession(session: Lan15Session, req: IpmiRequest): Buffer {
    const nowMs = this.opts.nowMs();
    session.lastActivityMs = nowMs;
    const closing: number[] = [];
    const ctx: CommandContext = {
      session,
      nowMs,
      closeSession: (id) => {
        if (!this.sessions.has(id)) return false;
        closing.push(id);
        return true;
      },
    };
    const result = this.opts.commands.handle(req, ctx);
    session.outboundSeq = (session.outboundSeq + 1) >>> 0;
    const packet = buildLan15Packet(
      { authType: Lan15AuthType.Md5, sequence: session.outboundSeq, sessionId: session.id, message: buildIpmiResponse(req, result.cc, result.data) },
      this.password,
    );
    for (const id of closing) this.sessions.delete(id);
    return packet;
  }

  private unauthenticated(req: IpmiRequest, cc: number, data?: Buffer): Buffer {
    return buildLan15Packet({ authType: Lan15AuthType.None, sequence: 0, sessionId: 0, message: buildIpmiResponse(req, cc, data) });
  }

  private authentic(packet: Lan15Packet): boolean {
    if (packet.authType !== Lan15AuthType.Md5 || !packet.authCode) return false;
    const expected = md5AuthCode(this.password, packet.sessionId, packet.message, packet.sequence);
    return timingSafeEqual(expected, packet.authCode);
  }

  private newSessionId(): number {
    for (;;) {
      const id = this.opts.randomBytes(4).readUInt32LE(0);
      if (id !== 0 && !this.sessions.has(id)) return id;
    }
  }

  private expire(): void {
    const nowMs = this.opts.nowMs();
    for (const [id, s] of this.sessions) if (nowMs - s.lastActivityMs > this.opts.idleTimeoutMs) this.sessions.delete(id);
  }

  private evictOldest(): void {
    const oldest = [...this.sessions.values()].sort((a, b) => a.lastActivityMs - b.lastActivityMs)[0];
    if (oldest) this.sessions.delete(oldest.id);
  }

  private drop(reason: string): undefined {
    this.opts.logger?.debug({ reason }, "bmc: v1.5 datagram dropped");
    return undefined;
  }
}
