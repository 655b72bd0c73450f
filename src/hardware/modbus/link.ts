import { EventEmitter } from "node:events";
import type { Clock, TimerHandle } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { ReconnectSchedule } from "./reconnect-backoff.js";
import { ModbusRequestError } from "./request-error.js";
import { realPause, withRetries, type Pause, type RetryPolicy } from "./retry.js";
import type { ModbusTransport, ModbusTransportFactory } from "./transport.js";

/** connecting: an open is under way; disconnected: the port is gone and a reconnect is scheduled; closed: stopped. */
export type LinkState = "connecting" | "connected" | "disconnected" | "closed";

export interface ModbusStats {
  /** Requests put on the wire, retries included. */
  requests: number;
  crcErrors: number;
  timeouts: number;
  /** Answers that were Modbus exceptions (the device refused). */
  exceptions: number;
  retries: number;
  /** Requests that failed after their retries, or failed fast while disconnected. */
  failures: number;
  /** Successful re-opens after the port had gone away. */
  reconnects: number;
  reconnectAttempts: number;
}

export interface ModbusLinkOptions {
  /** For logs and error messages, e.g. "cdu on /dev/ttyUSB0". */
  label: string;
  transportFactory: ModbusTransportFactory;
  clock: Clock;
  retry: RetryPolicy;
  reconnectMinMs: number;
  reconnectMaxMs: number;
  pause?: Pause;
  logger?: Logger;
}

interface LinkEvents {
  state: [state: LinkState, reason: string | undefined];
  reconnectFailed: [reason: string];
}

/**
 * The connection to one device: one request on the wire at a time (RTU has no transaction ids), retries for
 * timeouts and CRC errors, and reconnects with backoff when the port disappears. While the port is gone requests
 * fail at once instead of queueing behind timeouts.
 */
export class ModbusLink extends EventEmitter<LinkEvents> {
  private readonly opts: ModbusLinkOptions;
  private readonly pause: Pause;
  private readonly schedule: ModbusReconnectTimer;
  private transport: ModbusTransport | undefined;
  private current: LinkState = "disconnected";
  private lostAtMs: number | undefined;
  private everConnected = false;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly counters: ModbusStats = { requests: 0, crcErrors: 0, timeouts: 0, exceptions: 0, retries: 0, failures: 0, reconnects: 0, reconnectAttempts: 0 };

  constructor(opts: ModbusLinkOptions) {
    super();
    this.opts = opts;
    this.pause = opts.pause ?? realPause;
    this.schedule = new ModbusReconnectTimer(opts.clock, new ReconnectSchedule(opts.reconnectMinMs, opts.reconnectMaxMs), () => this.connect());
  }

  state(): LinkState {
    return this.current;
  }

  /** Since when the port has been gone (clock ms); undefined while connected. */
  disconnectedSinceMs(): number | undefined {
    return this.current === "connected" ? undefined : this.lostAtMs;
  }

  stats(): ModbusStats {
    return { ...this.counters };
  }

  /** First open. A device that is absent at start is not an error: the link keeps trying, as after an unplug. */
  async start(): Promise<void> {
    this.lostAtMs = this.opts.clock.nowMs();
    await this.connect();
  }

  async stop(): Promise<void> {
    this.schedule.cancel();
    this.setState("closed", "stopped");
    const transport = this.transport;
    this.transport = undefined;
    await transport?.close();
  }

  /** Resolves when the link reaches state (at once if it is there). */
  whenState(state: LinkState): Promise<void> {
    if (this.current === state) return Promise.resolve();
    return new Promise((resolve) => {
      const listener = (next: LinkState) => {
        if (next !== state) return;
        this.off("state", listener);
        resolve();
      };
      this.on("state", listener);
    });
  }

  /** Runs one request exclusively, with the retry policy. Rejects with a ModbusRequestError. */
  request<T>(what: string, op: (transport: ModbusTransport) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      const transport = this.transport;
      if (this.current !== "connected" || !transport) {
        this.counters.failures++;
        throw new ModbusRequestError("disconnected", `${this.opts.label}: ${what}: link ${this.current}`);
      }
      try {
        return await withRetries(
          () => {
            this.counters.requests++;
            return op(transport);
          },
          this.opts.retry,
          this.pause,
          (err, willRetry) => this.count(err, willRetry),
        );
      } catch (err) {
        this.counters.failures++;
        if (err instanceof ModbusRequestError) {
          if (err.failure === "disconnected") this.lost(transport, err.message);
          throw new ModbusRequestError(err.failure, `${this.opts.label}: ${what}: ${err.message}`, err.exceptionCode, { cause: err });
        }
        throw err;
      }
    };
    const result = this.queue.then(run, run);
    this.queue = result.catch(() => undefined);
    return result;
  }

  /** A method, not an inline comparison, because stop() can close the link while connect() awaits. */
  private get stopped(): boolean {
    return this.current === "closed";
  }

  private count(err: ModbusRequestError, willRetry: boolean): void {
    if (err.failure === "crc") this.counters.crcErrors++;
    else if (err.failure === "timeout") this.counters.timeouts++;
    else if (err.failure === "exception") this.counters.exceptions++;
    if (willRetry) this.counters.retries++;
  }

  private async connect(): Promise<void> {
    if (this.current === "closed") return;
    const reconnecting = this.everConnected;
    if (reconnecting) this.counters.reconnectAttempts++;
    this.setState("connecting", undefined);
    let transport: ModbusTransport;
    try {
      transport = this.opts.transportFactory();
      transport.onLost((reason) => this.lost(transport, reason));
      await transport.open();
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      if (this.stopped) return;
      this.setState("disconnected", reason);
      this.emit("reconnectFailed", reason);
      this.schedule.arm();
      return;
    }
    if (this.stopped) {
      await transport.close();
      return;
    }
    this.transport = transport;
    this.schedule.reset();
    if (reconnecting) this.counters.reconnects++;
    this.everConnected = true;
    this.lostAtMs = undefined;
    this.setState("connected", undefined);
  }

  private lost(transport: ModbusTransport, reason: string): void {
    if (this.transport !== transport || this.current !== "connected") return;
    this.transport = undefined;
    this.lostAtMs = this.opts.clock.nowMs();
    void transport.close();
    this.setState("disconnected", reason);
    this.schedule.arm();
  }

  private setState(state: LinkState, reason: string | undefined): void {
    if (this.current === state) return;
    const from = this.current;
    this.current = state;
    if (state === "disconnected" && from === "connected") this.opts.logger?.warn({ link: this.opts.label, reason }, "modbus port lost; reconnecting");
    else if (state === "connected") this.opts.logger?.info({ link: this.opts.label, reconnects: this.counters.reconnects }, "modbus port open");
    this.emit("state", state, reason);
  }
}

/** One pending reconnect at a time, on the injected clock. */
class ModbusReconnectTimer {
  private timer: TimerHandle | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly backoff: ReconnectSchedule,
    private readonly attempt: () => Promise<void>,
  ) {}

  arm(): void {
    if (this.timer) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.attempt();
    }, this.backoff.nextDelayMs());
  }

  reset(): void {
    this.backoff.reset();
  }

  cancel(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
