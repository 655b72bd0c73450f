import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { SimFleet } from "../../firmware-sim/index.js";
import { decodeFrame } from "../../src/agent/outbox/index.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";
import { ManualClock } from "../../src/core/clock.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { decodeTelemetry, type Telemetry } from "../../src/protocol/index.js";
import { AgentHarness } from "../helpers/agent-harness.js";
import { runCli, waitFor, type CliProcess } from "../helpers/cli.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";

/**
 * The durable outbox end to end: a real agent, a real mosquitto that goes away and comes back, and a subscriber
 * that records what actually arrives. Zero telemetry lost means: every seq of every boot arrives, exactly once.
 */
let broker: MosquittoBroker;
const cleanups: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker.dispose();
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Every telemetry message one subscriber connection received, in arrival order. */
class TelemetrySubscriber {
  readonly received: Telemetry[] = [];
  readonly invalid: string[] = [];
  private constructor(private readonly client: MqttClient) {
    client.on("message", (_topic, payload) => {
      const decoded = decodeTelemetry(payload);
      if (decoded.ok) this.received.push(decoded.value);
      else this.invalid.push(decoded.reason);
    });
  }

  static async connect(hostId: string): Promise<TelemetrySubscriber> {
    const client = await mqtt.connectAsync(broker.url, { reconnectPeriod: 0, clean: true });
    const subscriber = new TelemetrySubscriber(client);
    await client.subscribeAsync(`coolfleet/v1/${hostId}/telemetry`, { qos: 1 });
    cleanups.push(() => client.endAsync(true));
    return subscriber;
  }
}

/** How many times each seq of one boot arrived. */
function seqCounts(messages: Telemetry[], boot: string): Map<number, number> {
  const counts = new Map<number, number>();
  for (const t of messages) if (t.boot === boot) counts.set(t.seq, (counts.get(t.seq) ?? 0) + 1);
  return counts;
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

describe("agent outbox through a broker outage", () => {
  it("delivers every message of a 10-minute outage at 1 Hz exactly once, live first, backlog historical and rate limited", async () => {
    const outboxDir = scratchDir("coolfleet-outbox-it-");
    cleanups.push(() => rmSync(outboxDir, { recursive: true, force: true }));
    const replayPerS = 20;
    const h = new AgentHarness({
      brokerUrl: broker.url,
      configure: (c) => ({ ...c, broker: { ...c.broker, reconnectMinMs: 1000, reconnectMaxMs: 4000 }, outbox: { kind: "disk", dir: outboxDir, replayPerS } }),
    });
    cleanups.push(async () => {
      await h.stop().catch(() => undefined);
      h.dispose();
    });
    const before = await TelemetrySubscriber.connect(h.hostId);
    await h.start();
    await h.until("connected", () => h.agent.linkStats().connected);
    await h.period(3);
    await h.until("3 live messages", () => before.received.length >= 3);
    const boot = before.received[0]!.boot;

    await broker.stop();
    await h.until("link down", () => !h.agent.linkStats().connected);
    const firstOutageSeq = 3;
    await h.period(600);
    const lastOutageSeq = firstOutageSeq + 599;
    expect(h.agent.linkStats()).toMatchObject({ connected: false, queued: 600, dropped: 0 });
    expect(h.agent.linkStats().backlogBytes).toBeGreaterThan(600 * 1000);

    await broker.start();
    const after = await TelemetrySubscriber.connect(h.hostId);
    // The agent reconnects on its own (clock-driven) backoff: let control periods run until it has.
    for (let i = 0; i < 20 && !h.agent.linkStats().connected; i++) {
      await h.period(1);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(h.agent.linkStats().connected).toBe(true);

    // Replay: one control period at a time, noting how many backlog messages each second of clock time released.
    const replayedPerPeriod: number[] = [];
    const all = () => [...before.received, ...after.received];
    const allArrived = () => range(0, h.agent.lastReport!.seq).every((seq) => seqCounts(all(), boot).has(seq));
    for (let i = 0; i < 60 && !allArrived(); i++) {
      const replayedBefore = h.agent.linkStats().replayed;
      await h.period(1);
      replayedPerPeriod.push(h.agent.linkStats().replayed - replayedBefore);
      await new Promise((r) => setTimeout(r, 20));
    }
    const lastSeq = h.agent.lastReport!.seq;
    await h.until("every message up to the newest", allArrived);
    await h.until("everything acknowledged", () => h.agent.linkStats().queued === 0 && h.agent.linkStats().inFlight === 0);
    // Let any duplicate that was on its way arrive before counting.
    await new Promise((r) => setTimeout(r, 200));

    expect(before.invalid.concat(after.invalid)).toEqual([]);
    const counts = seqCounts(all(), boot);
    // Zero loss, zero duplicates: every seq 0..lastSeq arrived exactly once.
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual(range(0, lastSeq));
    expect([...counts.values()].filter((n) => n !== 1)).toEqual([]);
    expect(lastSeq).toBeGreaterThanOrEqual(lastOutageSeq + 1);

    const bySeq = new Map(all().map((t) => [t.seq, t]));
    // Everything produced during the outage is marked historical; what went out live is not.
    expect(range(firstOutageSeq, lastOutageSeq).filter((seq) => bySeq.get(seq)!.historical !== true)).toEqual([]);
    expect(range(0, firstOutageSeq - 1).map((seq) => bySeq.get(seq)!.historical)).toEqual([undefined, undefined, undefined]);
    expect(bySeq.get(lastSeq)!.historical).toBeUndefined();
    expect(bySeq.get(lastSeq)!.dropped).toBe(0);

    // Live first: the first message produced after reconnecting arrived before the backlog was through.
    const arrival = after.received.map((t) => t.seq);
    const firstLive = after.received.find((t) => t.historical !== true)!;
    expect(arrival.indexOf(firstLive.seq)).toBeLessThan(arrival.indexOf(lastOutageSeq));
    // Backlog arrives oldest first.
    const replayOrder = after.received.filter((t) => t.historical).map((t) => t.seq);
    expect(replayOrder).toEqual([...replayOrder].sort((a, b) => a - b));

    // Rate limit: at most replayPerS (+1 for the period boundary) per second of clock time, and the 600 took ~30 s.
    expect(Math.max(...replayedPerPeriod)).toBeLessThanOrEqual(replayPerS + 1);
    expect(replayedPerPeriod.length).toBeGreaterThanOrEqual(Math.floor(600 / (replayPerS + 1)));
    expect(h.agent.linkStats().replayed).toBeGreaterThanOrEqual(600);
  }, 60_000);
});

/** The telemetry (boot, seq) pairs stored in an outbox directory, read straight from its segment files. */
function storedTelemetry(dir: string): { boot: string; seq: number }[] {
  const out: { boot: string; seq: number }[] = [];
  for (const file of readdirSync(dir).filter((f) => f.endsWith(".seg")).sort()) {
    const bytes = readFileSync(join(dir, file));
    for (let offset = 0; offset < bytes.length; ) {
      const decoded = decodeFrame(bytes, offset);
      if (decoded.status !== "ok") break;
      offset += decoded.frameBytes;
      if (decoded.record.kind !== "telemetry") continue;
      const t = JSON.parse(decoded.record.payload) as { boot: string; seq: number };
      out.push({ boot: t.boot, seq: t.seq });
    }
  }
  return out;
}

describe("agent outbox across a SIGKILL", () => {
  it("a new agent process on the same outbox delivers what the killed one had not: zero telemetry lost", async () => {
    const dir = scratchDir("coolfleet-outbox-kill-");
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const fleet = new SimFleet({ hosts: 1, root: join(dir, "hosts"), seed: 5, clock: new ManualClock() });
    fleet.stepAll(1);
    const device = fleet.host(fleet.hostIds[0]!);
    const hostId = `outbox-kill-${process.pid}`;
    const outboxDir = join(dir, "outbox");
    const base = simAgentConfig("poweredge-r740-air", { hostId, root: device.root, brokerUrl: broker.url, periodMs: 200, outboxDir });
    const configFile = join(dir, "agent.yaml");
    writeFileSync(configFile, stringify({ ...base, broker: { ...base.broker, reconnectMinMs: 200, reconnectMaxMs: 400 }, outbox: { ...base.outbox, replayPerS: 50, fsyncMs: 5000 } }));
    const processes: CliProcess[] = [];
    cleanups.push(() => processes.forEach((p) => p.child.kill("SIGKILL")));
    const start = (): CliProcess => {
      const agent = runCli(["agent", "--config", configFile, "--log-level", "warn"]);
      processes.push(agent);
      return agent;
    };

    const before = await TelemetrySubscriber.connect(hostId);
    const first = start();
    await waitFor("live telemetry from the first agent", () => before.received.length >= 3, 15_000);
    const boot = before.received[0]!.boot;
    await broker.stop();
    const delivered = before.received.length;
    // The broker is away: the agent keeps appending to its outbox. Kill it (no chance to flush) once it holds a backlog.
    await waitFor("a backlog on disk", () => storedTelemetry(outboxDir).filter((t) => t.seq >= delivered).length >= 10, 15_000);
    first.child.kill("SIGKILL");
    expect(await first.exited).toEqual({ code: null, signal: "SIGKILL" });

    const stored = storedTelemetry(outboxDir).filter((t) => t.boot === boot);
    const lastSeq = Math.max(...stored.map((t) => t.seq));
    // Write-ahead: every seq the killed agent produced was either delivered or is on disk.
    const deliveredSeqs = new Set(before.received.map((t) => t.seq));
    expect(range(0, lastSeq).filter((seq) => !deliveredSeqs.has(seq) && !stored.some((t) => t.seq === seq))).toEqual([]);

    await broker.start();
    const after = await TelemetrySubscriber.connect(hostId);
    const second = start();
    await waitFor(
      "the killed agent's backlog, delivered by the new one",
      () => range(0, lastSeq).every((seq) => deliveredSeqs.has(seq) || after.received.some((t) => t.boot === boot && t.seq === seq)),
      20_000,
    );
    await waitFor("live telemetry from the new agent", () => after.received.some((t) => t.boot !== boot && t.historical !== true), 10_000);
    second.child.kill("SIGTERM");
    expect((await second.exited).code, second.output()).toBe(0);

    const counts = seqCounts([...before.received, ...after.received], boot);
    expect(range(0, lastSeq).filter((seq) => !counts.has(seq))).toEqual([]);
    // What the new agent replayed from the old boot is marked historical.
    const replayed = after.received.filter((t) => t.boot === boot && !deliveredSeqs.has(t.seq));
    expect(replayed.length).toBeGreaterThanOrEqual(10);
    expect(replayed.filter((t) => t.historical !== true)).toEqual([]);
    // Neither agent met an error (level 50) on the way: a torn tail, if any, is a warning.
    expect(first.output() + second.output()).not.toMatch(/"level":50/);
  }, 60_000);
});
