import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import type { Logger } from "pino";
import { asfPongFor, parseRmcpHeader, RMCP_CLASS_ASF, RMCP_CLASS_IPMI, RMCP_HEADER_BYTES } from "./rmcp.js";
import { AUTH_FORMAT_RMCP_PLUS } from "./rmcp-plus-packet.js";

/** Answers one IPMI datagram (RMCP header included); undefined means drop it. */
export type DatagramHandler = (datagram: Buffer) => Buffer | undefined;

export interface BmcUdpServerOptions {
  rmcpPlus: DatagramHandler;
  /** IPMI v1.5 sessions; absent when the BMC does not offer them. */
  lan15?: DatagramHandler;
  logger?: Logger;
}

export interface DatagramCounters {
  received: number;
  answered: number;
  dropped: number;
}

/** The BMC's LAN port: one UDP socket, RMCP demultiplexed by class and session format. */
export class BmcUdpServer {
  private socket: Socket | undefined;
  readonly counters: DatagramCounters = { received: 0, answered: 0, dropped: 0 };

  constructor(private readonly opts: BmcUdpServerOptions) {}

  /** Binds (port 0 picks a free one) and resolves with the bound port. */
  async listen(address: string, port: number): Promise<number> {
    if (this.socket) throw new Error("simulated BMC is already listening");
    const socket = createSocket("udp4");
    socket.on("message", (msg, rinfo) => this.onDatagram(socket, msg, rinfo));
    socket.on("error", (err) => this.opts.logger?.warn({ err: err.message }, "bmc: UDP socket error"));
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(port, address, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    this.socket = socket;
    return socket.address().port;
  }

  async close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private onDatagram(socket: Socket, msg: Buffer, rinfo: RemoteInfo): void {
    this.counters.received++;
    let reply: Buffer | undefined;
    try {
      reply = this.answer(msg);
    } catch (err) {
      // A handler bug must not take the BMC down; the console sees a timeout, the log says why.
      this.opts.logger?.error({ err: err instanceof Error ? err.message : String(err) }, "bmc: datagram handler failed");
    }
    if (!reply) {
      this.counters.dropped++;
      return;
    }
    this.counters.answered++;
    socket.send(reply, rinfo.port, rinfo.address);
  }

  /** The reply to one datagram, without the socket (undefined: drop it). */
  answer(msg: Buffer): Buffer | undefined {
    const header = parseRmcpHeader(msg);
    if (!header) return undefined;
    if (header.messageClass === RMCP_CLASS_ASF) return asfPongFor(msg);
    if (header.messageClass !== RMCP_CLASS_IPMI || msg.length <= RMCP_HEADER_BYTES) return undefined;
    if (msg.readUInt8(RMCP_HEADER_BYTES) === AUTH_FORMAT_RMCP_PLUS) return this.opts.rmcpPlus(msg);
    return this.opts.lan15?.(msg);
  }
}
