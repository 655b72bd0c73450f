import type { Logger } from "pino";
import type { BmcCommandSet, CommandContext } from "./bmc-commands.js";
import { buildIpmiResponse, parseIpmiRequest } from "./ipmi-message.js";
import { handleOpenSession, handleRakp1, handleRakp3, type HandshakeContext } from "./rmcp-plus-handshake.js";
import { openRmcpPlusPayload, parseRmcpPlusHeader, PayloadType, sealRmcpPlusPacket, type RmcpPlusHeader } from "./rmcp-plus-packet.js";
import type { RmcpPlusSessionTable } from "./rmcp-plus-session.js";

export interface RmcpPlusTransportOptions {
  sessions: RmcpPlusSessionTable;
  commands: BmcCommandSet;
  /** Everything of the handshake context except the time, which is read per datagram. */
  handshake: Omit<HandshakeContext, "nowMs" | "sessions">;
  nowMs: () => number;
  randomBytes: (n: number) => Buffer;
  logger?: Logger;
}

/**
 * IPMI v2.0 / RMCP+ (auth type 06h): the session-establishment payloads, then IPMI messages inside
 * authenticated, encrypted sessions. Anything malformed or failing its checks is dropped without an answer,
 * as a BMC does; the console times out.
 */
export class RmcpPlusTransport {
  constructor(private readonly opts: RmcpPlusTransportOptions) {}

  handle(datagram: Buffer): Buffer | undefined {
    const header = parseRmcpPlusHeader(datagram);
    if (!header) return this.drop("RMCP+ header malformed");
    switch (header.payloadType) {
      case PayloadType.OpenSessionRequest:
        return this.handshakeStep(datagram, header, PayloadType.OpenSessionResponse, handleOpenSession);
      case PayloadType.Rakp1:
        return this.handshakeStep(datagram, header, PayloadType.Rakp2, handleRakp1);
      case PayloadType.Rakp3:
        return this.handshakeStep(datagram, header, PayloadType.Rakp4, handleRakp3);
      case PayloadType.Ipmi:
        return header.sessionId === 0 ? this.sessionless(datagram, header) : this.inSession(datagram, header);
      default:
        return this.drop(`payload type 0x${header.payloadType.toString(16)} not supported`);
    }
  }

  private handshakeStep(datagram: Buffer, header: RmcpPlusHeader, responseType: number, step: (req: Buffer, ctx: HandshakeContext) => Buffer): Buffer | undefined {
    // Session setup travels outside any session: id 0, sequence 0, no integrity, no encryption.
    const opened = openRmcpPlusPayload(datagram, header, {});
    if (!opened.ok) return this.drop(opened.reason);
    const ctx: HandshakeContext = { ...this.opts.handshake, sessions: this.opts.sessions, nowMs: this.opts.nowMs() };
    const payload = step(opened.payload, ctx);
    return sealRmcpPlusPacket({ payloadType: responseType, sessionId: 0, sequence: 0, payload }, {});
  }

  private sessionless(datagram: Buffer, header: RmcpPlusHeader): Buffer | undefined {
    const opened = openRmcpPlusPayload(datagram, header, {});
    if (!opened.ok) return this.drop(opened.reason);
    const req = parseIpmiRequest(opened.payload);
    if (!req) return this.drop("IPMI message checksum or length wrong");
    const result = this.opts.commands.handle(req, { session: undefined, nowMs: this.opts.nowMs(), closeSession: () => false });
    const payload = buildIpmiResponse(req, result.cc, result.data);
    return sealRmcpPlusPacket({ payloadType: PayloadType.Ipmi, sessionId: 0, sequence: 0, payload }, {});
  }

  private inSession(datagram: Buffer, header: RmcpPlusHeader): Buffer | undefined {
    const session = this.opts.sessions.get(header.sessionId);
    if (!session || session.state !== "active") return this.drop(`no active session 0x${header.sessionId.toString(16)}`);
    const opened = openRmcpPlusPayload(datagram, header, session.protection);
    if (!opened.ok) return this.drop(opened.reason);
    if (!session.inbound.accept(header.sequence)) return this.drop(`sequence number ${header.sequence} outside the window or replayed`);
    const req = parseIpmiRequest(opened.payload);
    if (!req) return this.drop("IPMI message checksum or length wrong");
    const nowMs = this.opts.nowMs();
    session.lastActivityMs = nowMs;
    const closing: number[] = [];
    const ctx: CommandContext = {
      session,
      nowMs,
      closeSession: (id) => {
        if (!this.opts.sessions.has(id)) return false;
        closing.push(id);
        return true;
      },
    };
    const result = this.opts.commands.handle(req, ctx);
    const payload = buildIpmiResponse(req, result.cc, result.data);
    const packet = sealRmcpPlusPacket(
      { payloadType: PayloadType.Ipmi, sessionId: session.consoleSessionId, sequence: session.nextOutboundSeq(), payload },
      session.protection,
      this.opts.randomBytes(16),
    );
    // A session closing itself still answers under its own keys; it goes away after that.
    for (const id of closing) this.opts.sessions.remove(id);
    return packet;
  }

  private drop(reason: string): undefined {
    this.opts.logger?.debug({ reason }, "bmc: RMCP+ datagram dropped");
    return undefined;
  }
}
