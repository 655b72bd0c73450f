import { request, type ClientRequest, type IncomingMessage } from "node:http";
import { connect, type Socket } from "node:net";
import { setImmediate as nextTurn } from "node:timers/promises";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApiFleetEvent } from "../../src/controller/http/api-types.js";
import { startHttpServer, type HttpServerHandle } from "../../src/controller/http/server.js";
import { ManualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { FakeReadModel, hostView, telemetryPoint } from "../fixtures/fake-read-model.js";

/** One parsed SSE block: an event with data, or a comment line (heartbeat). */
interface SseBlock {
  event?: string;
  data?: string;
  comment?: string;
  retry?: string;
}

/** A minimal EventSource over node:http that lets a test await the next block. */
class SseTestClient {
  readonly blocks: SseBlock[] = [];
  private pending = "";
  private waiters: Array<{ predicate: (b: SseBlock) => boolean; resolve: (b: SseBlock) => void; from: number }> = [];
  private constructor(
    readonly req: ClientRequest,
    readonly res: IncomingMessage,
  ) {
    res.setEncoding("utf8");
    res.on("data", (chunk: string) => this.onData(chunk));
  }

  static open(url: string): Promise<SseTestClient> {
    return new Promise((resolve, reject) => {
      const req = request(`${url}/api/events`, { headers: { accept: "text/event-stream" } }, (res) => resolve(new SseTestClient(req, res)));
      req.on("error", reject);
      req.end();
    });
  }

  /** The first block from now on (or already received after `seen` blocks) that matches. */
  next(predicate: (b: SseBlock) => boolean, seen = this.blocks.length): Promise<SseBlock> {
    const found = this.blocks.slice(seen).find(predicate);
    if (found) return Promise.resolve(found);
    return new Promise((resolve) => this.waiters.push({ predicate, resolve, from: seen }));
  }

  nextEvent(type: string, seen?: number): Promise<ApiFleetEvent> {
    return this.next((b) => b.event === type, seen).then((b) => JSON.parse(b.data!) as ApiFleetEvent);
  }

  close(): void {
    this.req.destroy();
  }

  private onData(chunk: string): void {
    this.pending += chunk;
    let end: number;
    while ((end = this.pending.indexOf("\n\n")) >= 0) {
      const block = parseBlock(this.pending.slice(0, end));
      this.pending = this.pending.slice(end + 2);
      this.blocks.push(block);
      const index = this.blocks.length - 1;
      for (const waiter of [...this.waiters]) {
        if (index >= waiter.from && waiter.predicate(block)) {
          this.waiters = this.waiters.filter((w) => w !== waiter);
          waiter.resolve(block);
        }
      }
    }
  }
}

function parseBlock(text: string): SseBlock {
  const block: SseBlock = {};
  for (const line of text.split("\n")) {
    if (line.startsWith(":")) block.comment = line.slice(1).trim();
    else if (line.startsWith("event: ")) block.event = line.slice(7);
    else if (line.startsWith("data: ")) block.data = (block.data === undefined ? "" : `${block.data}\n`) + line.slice(6);
    else if (line.startsWith("retry: ")) block.retry = line.slice(7);
  }
  return block;
}

describe("GET /api/events", () => {
  let fake: FakeReadModel;
  let clock: ManualClock;
  let server: HttpServerHandle;
  const clients: SseTestClient[] = [];

  async function openClient(): Promise<SseTestClient> {
    const client = await SseTestClient.open(server.url);
    clients.push(client);
    return client;
  }

  beforeEach(async () => {
    clock = new ManualClock();
    fake = new FakeReadModel().addHost(hostView("r740-01"));
    server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      readModel: fake,
      logger: silentLogger(),
      staticDir: "/nonexistent",
      clock,
      sseHeartbeatMs: 15_000,
      sseMaxBufferedBytes: 256 * 1024,
    });
  });

  afterEach(async () => {
    for (const client of clients.splice(0)) client.close();
    await server.close();
  });

  it("answers with text/event-stream, a retry hint and a hosts snapshot with hottest", async () => {
    const client = await openClient();
    expect(client.res.statusCode).toBe(200);
    expect(client.res.headers["content-type"]).toBe("text/event-stream; charset=utf-8");
    expect((await client.next((b) => b.retry !== undefined, 0)).retry).toBe("2000");
    const snapshot = await client.nextEvent("hosts", 0);
    expect(snapshot.type === "hosts" && snapshot.hosts.map((h) => [h.hostId, h.hottest?.id])).toEqual([["r740-01", "sda"]]);
  });

  it("forwards every FleetEvent type as event: <type> with the event as JSON data", async () => {
    const client = await openClient();
    await fake.whenListenerCount(1);
    const seen = client.blocks.length;
    const point = telemetryPoint(clock.nowMs(), 7);
    fake.emit({ type: "telemetry", hostId: "r740-01", point });
    fake.emit({ type: "transition", transition: { hostId: "r740-01", from: "Running", to: "Cooling", cause: "cpu0 above band", atMs: 5 } });
    fake.emit({ type: "summary", summary: { ...fake.summaryValue, hosts: 1 } });
    fake.emit({ type: "hosts", hosts: [hostView("r740-01", { state: "Cooling" })] });

    expect(await client.nextEvent("telemetry", seen)).toEqual({ type: "telemetry", hostId: "r740-01", point });
    expect(await client.nextEvent("transition", seen)).toMatchObject({ transition: { to: "Cooling", cause: "cpu0 above band" } });
    expect(await client.nextEvent("summary", seen)).toMatchObject({ summary: { hosts: 1 } });
    const hosts = await client.nextEvent("hosts", seen + 1);
    expect(hosts.type === "hosts" && hosts.hosts[0]).toMatchObject({ state: "Cooling", hottest: { id: "sda" } });
  });

  it("delivers the same event to every connected client", async () => {
    const a = await openClient();
    const b = await openClient();
    await fake.whenListenerCount(2);
    fake.emit({ type: "telemetry", hostId: "r740-01", point: telemetryPoint(1, 99) });
    const [ea, eb] = await Promise.all([a.nextEvent("telemetry"), b.nextEvent("telemetry")]);
    expect(ea).toEqual(eb);
  });

  it("sends a heartbeat comment every heartbeat period of the injected clock", async () => {
    const client = await openClient();
    await client.nextEvent("hosts", 0);
    const heartbeats = (): number => client.blocks.filter((b) => b.comment === "heartbeat").length;
    clock.advance(14_999);
    clock.advance(1);
    await client.next((b) => b.comment === "heartbeat");
    clock.advance(15_000);
    await client.next((b) => b.comment === "heartbeat" && heartbeats() === 2);
    expect(heartbeats()).toBe(2);
  });

  it("unsubscribes from the read model when the client disconnects", async () => {
    const a = await openClient();
    const b = await openClient();
    await fake.whenListenerCount(2);
    a.close();
    await fake.whenListenerCount(1);
    b.close();
    await fake.whenListenerCount(0);
    expect(fake.listenerCount).toBe(0);
    // Events after everyone left go nowhere and harm nothing.
    fake.emit({ type: "summary", summary: fake.summaryValue });
  });

  it("close() ends open streams and unsubscribes them", async () => {
    const client = await openClient();
    await fake.whenListenerCount(1);
    const ended = new Promise<void>((resolve) => client.res.on("close", resolve));
    await server.close();
    await ended;
    expect(fake.listenerCount).toBe(0);
    server = await startHttpServer({ host: "127.0.0.1", port: 0, readModel: fake, logger: silentLogger(), staticDir: "/x" });
  });

  it("drops a client that stops reading instead of buffering without bound, and keeps serving the others", async () => {
    const reader = await openClient();
    // A raw socket that sends the request and then never reads: the kernel buffers fill, then the server's.
    const stalled: Socket = connect(server.port, "127.0.0.1");
    await new Promise<void>((resolve) => stalled.once("connect", resolve));
    stalled.pause();
    stalled.write(`GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n`);
    await fake.whenListenerCount(2);

    const bigPoint = telemetryPoint(1, 1, { boot: "x".repeat(64 * 1024) });
    let emitted = 0;
    // Loopback kernel buffers hold a few MB; 2000 × 64 KiB is far more than they and the 256 KiB bound can take.
    while (fake.listenerCount === 2 && emitted < 2000) {
      fake.emit({ type: "telemetry", hostId: "r740-01", point: { ...bigPoint, seq: emitted++ } });
      // Lets the reading client drain its socket between events; the stalled one never does.
      await nextTurn();
    }
    expect(fake.listenerCount).toBe(1);
    expect(emitted).toBeLessThan(2000);

    const seen = reader.blocks.length;
    fake.emit({ type: "summary", summary: { ...fake.summaryValue, hosts: 3 } });
    expect(await reader.nextEvent("summary", seen)).toMatchObject({ summary: { hosts: 3 } });
    stalled.destroy();
  });

  it("a read model that cannot subscribe gives a 500 JSON, not a hung stream", async () => {
    fake.failing.add("subscribe");
    const res = await fetch(`${server.url}/api/events`);
    expect(res.status).toBe(500);
    expect(((await res.json()) as { error: string }).error).toBe("subscribe failed (injected)");
    expect(fake.listenerCount).toBe(0);
  });

  it("a read model whose hosts() fails while opening leaves no listener behind", async () => {
    fake.failing.add("hosts");
    const res = await fetch(`${server.url}/api/events`);
    expect(res.status).toBe(500);
    await res.body?.cancel();
    expect(fake.listenerCount).toBe(0);
  });
});
