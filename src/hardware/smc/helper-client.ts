import { EventEmitter } from "node:events";
import { createConnection, type Socket } from "node:net";
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { SmcHelperError } from "./helper-error.js";
import { JsonLineSplitter } from "./json-lines.js";
import { encodeSmcLine, RESULT_SCHEMAS, SmcResponse, type SmcOp, type SmcRequest, type SmcResult } from "./protocol.js";
import { Waitress } from "./waitress.js";

export interface SmcHelperClientOptions {
  /** The helper's Unix socket, e.g. /var/run/coolfleet-smc.sock. */
  socketPath: string;
  clock: Clock;
  /** Per request. The helper answers from memory and the SMC in milliseconds; a late answer means trouble. */
  timeoutMs?: number;
  logger?: Logger;
}

interface ClientEvents {
  disconnected: [reason: string];
}

type RequestBody<Op extends SmcOp> = Omit<Extract<SmcRequest, { op: Op }>, "id" | "op">;

/**
 * The agent's side of the helper socket: numbered requests, replies matched by id with a timeout each. A request
 * on a closed socket connects first; when the socket closes every pending request fails at once.
 */
export class SmcHelperClient extends EventEmitter<ClientEvents> {
  private readonly opts: SmcHelperClientOptions;
  private readonly waitress: Waitress<SmcResponse>;
  private socket: Socket | undefined;
  private connecting: Promise<Socket> | undefined;
  private nextId = 1;

  constructor(opts: SmcHelperClientOptions) {
    super();
    this.opts = opts;
    this.waitress = new Waitress(opts.clock, (_id, what, timeoutMs) => new SmcHelperError("timeout", `SMC helper ${opts.socketPath}: ${what}: no reply in ${timeoutMs} ms`));
  }

  get connected(): boolean {
    return this.socket !== undefined;
  }

  async connect(): Promise<void> {
    await this.ensureSocket();
  }

  close(): Promise<void> {
    const socket = this.socket;
    this.socket = undefined;
    if (!socket) return Promise.resolve();
    return new Promise((resolve) => {
      socket.once("close", () => resolve());
      socket.end();
    });
  }

  hello(): Promise<SmcResult<"hello">> {
    return this.request("hello", {});
  }

  readFans(): Promise<SmcResult<"readFans">> {
    return this.request("readFans", {});
  }

  readTemps(keys: readonly string[]): Promise<SmcResult<"readTemps">> {
    return this.request("readTemps", { keys: [...keys] });
  }

  takeControl(leaseMs: number): Promise<SmcResult<"takeControl">> {
    return this.request("takeControl", { leaseMs });
  }

  setFans(pct: number): Promise<SmcResult<"setFans">> {
    return this.request("setFans", { pct });
  }

  release(): Promise<SmcResult<"release">> {
    return this.request("release", {});
  }

  /** Sends one request and resolves with its validated result; rejects with an SmcHelperError. */
  async request<Op extends SmcOp>(op: Op, body: RequestBody<Op>): Promise<SmcResult<Op>> {
    const socket = await this.ensureSocket();
    const id = this.nextId++;
    const what = `${op} #${id}`;
    const reply = this.waitress.wait(id, this.opts.timeoutMs ?? 2000, what);
    socket.write(encodeSmcLine({ id, op, ...body } as SmcRequest));
    const response = await reply;
    if (!response.ok) throw new SmcHelperError(response.error.code, `SMC helper: ${what}: ${response.error.message}`);
    const parsed = RESULT_SCHEMAS[op].safeParse(response.result);
    if (!parsed.success) throw new SmcHelperError("protocol", `SMC helper: ${what}: malformed result: ${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}`);
    return parsed.data as SmcResult<Op>;
  }

  private ensureSocket(): Promise<Socket> {
    if (this.socket) return Promise.resolve(this.socket);
    this.connecting ??= this.open().finally(() => {
      this.connecting = undefined;
    });
    return this.connecting;
  }

  private open(): Promise<Socket> {
    const path = this.opts.socketPath;
    return new Promise((resolve, reject) => {
      const socket = createConnection({ path });
      const onError = (err: Error) => reject(new SmcHelperError("disconnected", `SMC helper ${path}: ${err.message}`, { cause: err }));
      socket.once("error", onError);
      socket.once("connect", () => {
        socket.off("error", onError);
        this.attach(socket);
        resolve(socket);
      });
    });
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    const splitter = new JsonLineSplitter(
      (line) => this.onLine(line),
      () => this.opts.logger?.warn({ socket: this.opts.socketPath }, "SMC helper sent an over-long line; skipped"),
    );
    socket.on("data", (chunk) => splitter.push(chunk));
    socket.on("error", (err) => this.opts.logger?.debug({ err: err.message }, "SMC helper socket error"));
    socket.on("close", () => {
      if (this.socket === socket) this.socket = undefined;
      const reason = `SMC helper ${this.opts.socketPath}: connection closed`;
      this.waitress.rejectAll(new SmcHelperError("disconnected", reason));
      this.emit("disconnected", reason);
    });
  }

  private onLine(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.opts.logger?.warn({ line: line.slice(0, 200) }, "SMC helper sent a line that is not JSON");
      return;
    }
    const parsed = SmcResponse.safeParse(raw);
    if (!parsed.success) {
      this.opts.logger?.warn({ line: line.slice(0, 200) }, "SMC helper sent a line that is not a response");
      return;
    }
    const response = parsed.data;
    if (response.id === null) {
      this.opts.logger?.warn({ error: response.ok ? undefined : response.error }, "SMC helper rejected a request it could not read");
      return;
    }
    if (!this.waitress.resolve(response.id, response)) this.opts.logger?.debug({ id: response.id }, "SMC helper reply nobody waits for (late)");
  }
}
