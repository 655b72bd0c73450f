import type { IncomingMessage, ServerResponse } from "node:http";
import type { Clock, TimerHandle } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { toApiEvent, toApiHost } from "./host-hottest.js";
import type { FleetEvent, FleetReadModel } from "./read-model.js";

export interface FleetEventStreamOptions {
  heartbeatMs: number;
  maxBufferedBytes: number;
  retryMs: number;
}

interface SseClient {
  readonly res: ServerResponse;
  unsubscribe: () => void;
  heartbeat: TimerHandle | undefined;
  closed: boolean;
}

/**
 * Server-Sent Events for dashboards: one read-model subscription per connected client, forwarded as
 * `event: <type>` / `data: <json>` frames. A client that stops reading is dropped once maxBufferedBytes are queued
 * for it, so one stalled browser tab cannot grow the controller's memory.
 */
export class FleetEventStream {
  private readonly clients = new Set<SseClient>();
  /** Every client gets the same frame for the same event; serialise it once. */
  private readonly frames = new WeakMap<FleetEvent, string>();

  constructor(
    private readonly readModel: FleetReadModel,
    private readonly clock: Clock,
    private readonly logger: Logger,
    private readonly options: FleetEventStreamOptions,
  ) {}

  get clientCount(): number {
    return this.clients.size;
  }

  /** Subscribes before the 200 goes out, so a read model that cannot subscribe still gets a JSON 500. */
  open(req: IncomingMessage, res: ServerResponse): void {
    const client: SseClient = { res, unsubscribe: () => undefined, heartbeat: undefined, closed: false };
    client.unsubscribe = this.readModel.subscribe((event) => this.forward(client, event));
    let snapshot: string;
    try {
      // Taken after subscribing so nothing falls between the two; a duplicate hosts list is harmless.
      snapshot = frame("hosts", { type: "hosts", hosts: this.readModel.hosts().map(toApiHost) });
    } catch (err) {
      client.unsubscribe();
      throw err;
    }

    req.socket.setNoDelay(true);
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-store",
      connection: "keep-alive",
      // nginx buffers proxied responses unless told not to, which would hold events back.
      "x-accel-buffering": "no",
    });
    this.clients.add(client);
    req.on("close", () => this.close(client));
    res.on("error", () => this.close(client));
    this.write(client, `retry: ${this.options.retryMs}\n\n`);
    this.write(client, snapshot);
    this.scheduleHeartbeat(client);
    this.logger.debug({ clients: this.clients.size }, "event stream client connected");
  }

  /** Server shutdown: cut every stream at once, so a stalled browser cannot hold the controller's stop. */
  closeAll(): void {
    for (const client of [...this.clients]) this.close(client, true);
  }

  private forward(client: SseClient, event: FleetEvent): void {
    // Called from inside the read model's emit: whatever goes wrong here must not reach the controller.
    try {
      let text = this.frames.get(event);
      if (text === undefined) {
        text = frame(event.type, toApiEvent(event));
        this.frames.set(event, text);
      }
      this.write(client, text);
    } catch (err) {
      this.logger.error({ err: err instanceof Error ? err.message : String(err) }, "event stream: could not forward event");
      this.close(client);
    }
  }

  private write(client: SseClient, text: string): void {
    if (client.closed || !client.res.headersSent) return;
    client.res.write(text);
    const bufferedBytes = client.res.writableLength;
    if (bufferedBytes > this.options.maxBufferedBytes) {
      this.logger.warn(
        { bufferedBytes, limitBytes: this.options.maxBufferedBytes },
        "event stream client is not reading; dropped",
      );
      this.close(client, true);
    }
  }

  private scheduleHeartbeat(client: SseClient): void {
    client.heartbeat = this.clock.setTimeout(() => {
      this.write(client, ": heartbeat\n\n");
      if (!client.closed) this.scheduleHeartbeat(client);
    }, this.options.heartbeatMs);
  }

  private close(client: SseClient, drop = false): void {
    if (client.closed) return;
    client.closed = true;
    this.clients.delete(client);
    client.unsubscribe();
    if (client.heartbeat) this.clock.clearTimeout(client.heartbeat);
    // Dropped: its queue is thrown away (destroy). A client that left: end() whatever is left of our side.
    if (drop) client.res.destroy();
    else if (!client.res.writableEnded) client.res.end();
    this.logger.debug({ clients: this.clients.size }, "event stream client disconnected");
  }
}

function frame(type: string, data: unknown): string {
  // JSON.stringify escapes newlines, so the payload is always one data line.
  return `event: ${type}\ndata: ${JSON.stringify(data)}\n\n`;
}
