import type { CipherSuite } from "./cipher-suites.js";
import type { PrivilegeLevel } from "./privilege.js";
import type { RakpParties } from "./rakp-keys.js";
import type { SessionProtection } from "./rmcp-plus-packet.js";
import { SequenceWindow } from "./sequence-window.js";

export type RmcpPlusSessionState = "opened" | "rakp2-sent" | "active";

/** One RMCP+ session from Open Session Request to Close Session (or idle expiry). */
export class RmcpPlusSession {
  state: RmcpPlusSessionState = "opened";
  /** Privilege the session may rise to (the Open Session / RAKP 1 negotiation). */
  maxPrivilege: PrivilegeLevel;
  /** Privilege in force: User after activation until Set Session Privilege Level raises it. */
  privilege: PrivilegeLevel;
  rakp: RakpParties | undefined;
  protection: SessionProtection = {};
  readonly inbound = new SequenceWindow();
  private outboundSeq = 0;

  constructor(
    readonly bmcSessionId: number,
    readonly consoleSessionId: number,
    readonly suite: CipherSuite,
    maxPrivilege: PrivilegeLevel,
    public lastActivityMs: number,
  ) {
    this.maxPrivilege = maxPrivilege;
    this.privilege = Math.min(maxPrivilege, 2) as PrivilegeLevel;
  }

  /** Sequence number for the next packet the BMC sends; skips zero on wrap. */
  nextOutboundSeq(): number {
    this.outboundSeq = (this.outboundSeq + 1) >>> 0;
    if (this.outboundSeq === 0) this.outboundSeq = 1;
    return this.outboundSeq;
  }
}

/**
 * The BMC's session slots. A full table evicts the longest-idle session rather than refusing: ipmitool runs
 * killed by their timeout never close theirs, and a test BMC must not lock up the way a real iDRAC can.
 */
export class RmcpPlusSessionTable {
  private readonly sessions = new Map<number, RmcpPlusSession>();

  constructor(
    private readonly maxSessions: number,
    private readonly idleTimeoutMs: number,
  ) {}

  get size(): number {
    return this.sessions.size;
  }

  get(bmcSessionId: number): RmcpPlusSession | undefined {
    return this.sessions.get(bmcSessionId);
  }

  has(bmcSessionId: number): boolean {
    return this.sessions.has(bmcSessionId);
  }

  add(session: RmcpPlusSession, nowMs: number): void {
    this.expire(nowMs);
    while (this.sessions.size >= this.maxSessions) {
      const oldest = [...this.sessions.values()].sort((a, b) => a.lastActivityMs - b.lastActivityMs)[0];
      if (!oldest) break;
      this.sessions.delete(oldest.bmcSessionId);
    }
    this.sessions.set(session.bmcSessionId, session);
  }

  remove(bmcSessionId: number): boolean {
    return this.sessions.delete(bmcSessionId);
  }

  active(): RmcpPlusSession[] {
    return [...this.sessions.values()].filter((s) => s.state === "active");
  }

  private expire(nowMs: number): void {
    for (const [id, s] of this.sessions) if (nowMs - s.lastActivityMs > this.idleTimeoutMs) this.sessions.delete(id);
  }
}
