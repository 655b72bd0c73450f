import { rmSync } from "node:fs";
import { createServer, type Server, type Socket } from "node:net";
import type { Clock } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/logger.js";
import { JsonLineSplitter } from "../../src/hardware/smc/json-lines.js";
import { encodeSmcLine } from "../../src/hardware/smc/protocol.js";
import { SmcHelperService } from "./helper-service.js";
import type { SimulatedSmc } from "./simulated-smc.js";

export interface SimulatedSmcHelperOptions {
  smc: SimulatedSmc;
  /** Drives the fan lease. */
  clock: Clock;
  socketPath: string;
  maxLeaseMs?: number;
  logger?: Logger;
}

/**
 * The privileged SMC helper's stand-in: the same JSON-lines protocol on a Unix socket, backed by a simulated Mac's
 * SMC. Faults: silence (reads requests, answers none) and dropped connections.
 */
export class SimulatedSmcHelper {
  readonly service: SmcHelperService;
  readonly socketPath: string;
  private readonly logger: Logger | undefined;
  private server: Server | undefined;
  private readonly connections = new Map<number, Socket>();
  private nextConnectionId = 1;
  private silent = false;

  constructor(opts: SimulatedSmcHelperOptions) {
    this.socketPath = opts.socketPath;
    this.logger = opts.logger;
    this.service = new SmcHelperService({ smc: opts.smc, clock: opts.clock, maxLeaseMs: opts.maxLeaseMs, ...(opts.logger ? { logger: opts.logger } : {}) });
  }

  listen(): Promise<void> {
    // A socket file left by a helper that died keeps new ones from binding.
    rmSync(this.socketPath, { force: true });
    const server = createServer((socket) => this.accept(socket));
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(this.socketPath, () => {
        server.off("error", reject);
        resolve();
      });
    });
  }

  /** Stops answering (requests are read and dropped), as a wedged helper would. */
  setSilent(silent: boolean): void {
    this.silent = silent;
  }

  /** Closes every client connection (a helper restart, as the clients see it). */
  dropConnections(): void {
    for (const socket of this.connections.values()) socket.destroy();
  }

  get clientCount(): number {
    return this.connections.size;
  }

  async close(): Promise<void> {
    this.service.shutdown();
    this.dropConnections();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(this.socketPath, { force: true });
  }

  private accept(socket: Socket): void {
    const connectionId = this.nextConnectionId++;
    this.connections.set(connectionId, socket);
    const splitter = new JsonLineSplitter(
      (line) => this.onLine(connectionId, socket, line),
      () => {
        socket.write(encodeSmcLine({ id: null, ok: false, error: { code: "bad_request", message: "line too long" } }));
        socket.destroy();
      },
    );
    socket.on("data", (chunk) => splitter.push(chunk));
    socket.on("error", (err) => this.logger?.debug({ err: err.message }, "sim smc helper: client socket error"));
    socket.on("close", () => {
      this.connections.delete(connectionId);
      this.service.connectionClosed(connectionId);
    });
  }

  private onLine(connectionId: number, socket: Socket, line: string): void {
    if (this.silent) return;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      socket.write(encodeSmcLine({ id: null, ok: false, error: { code: "bad_request", message: "not JSON" } }));
      return;
    }
    socket.write(encodeSmcLine(this.service.handle(connectionId, raw)));
  }
}
