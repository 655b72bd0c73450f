import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimFleet } from "../../firmware-sim/index.js";
import type { CoolingAgent } from "../../src/agent/agent.js";
import { assembleAgent } from "../../src/agent/assemble.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";
import { parseAgentConfig } from "../../src/config/load.js";
import { ManualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { brokerCertPaths, caPaths, controllerCertPaths, hostCertPaths, initSiteCa, issueBrokerCertificate, issueControllerCertificate, issueHostCertificate } from "../../src/ops/site-ca.js";
import { decodeAck, decodeHostState, encode, hostTopic, type Command } from "../../src/protocol/index.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";

/**
 * Per-host isolation on a real mosquitto configured from the shipped config/mosquitto/tls.conf and acl, with
 * certificates from our site CA. Denied publishes are dropped silently, so every "nothing arrived" is checked
 * at an observer with the controller's identity, over a window after a marker the same client may send.
 */

const HOST_A = "host-a";
const HOST_B = "host-b";
const HOST_C = "host-c";
/** How long after the marker we keep listening for anything that should not arrive. */
const QUIET_WINDOW_MS = 300;

let pki: string;
let rogue: string;
let broker: MosquittoBroker;
let url: string;

/** The shipped tls.conf, its paths pointed at this test's files; the harness provides the listener line. */
function shippedTlsConfig(): string[] {
  const paths: Record<string, string> = {
    cafile: caPaths(pki).cert,
    certfile: brokerCertPaths(pki).cert,
    keyfile: brokerCertPaths(pki).key,
    acl_file: resolve("config/mosquitto/acl"),
  };
  return readFileSync("config/mosquitto/tls.conf", "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#") && !line.startsWith("listener "))
    .map((line) => {
      const key = line.split(/\s+/)[0]!;
      return paths[key] !== undefined ? `${key} ${paths[key]}` : line;
    });
}

function identity(name: string, dir = pki): Pick<IClientOptions, "ca" | "cert" | "key"> {
  const files = name === "controller" ? controllerCertPaths(dir) : hostCertPaths(dir, name);
  return { ca: readFileSync(caPaths(pki).cert), cert: readFileSync(files.cert), key: readFileSync(files.key) };
}

type ConnectOutcome = { connected: true; client: MqttClient } | { connected: false; reason: string };

/** Connects once (no reconnects) and reports how it went, instead of hanging on a refused handshake. */
function tryConnect(options: IClientOptions, target = url): Promise<ConnectOutcome> {
  return new Promise((resolveOutcome) => {
    const client = mqtt.connect(target, { reconnectPeriod: 0, connectTimeout: 5000, protocolVersion: 4, ...options });
    let lastError = "";
    const onError = (err: Error): void => {
      lastError = err.message;
    };
    const onConnect = (): void => done({ connected: true, client });
    const onClose = (): void => done({ connected: false, reason: lastError || "closed by the broker" });
    // Only our own listeners come off: mqtt.js keeps its own on "close".
    const done = (outcome: ConnectOutcome): void => {
      client.off("connect", onConnect);
      client.off("close", onClose);
      if (!outcome.connected) client.end(true);
      resolveOutcome(outcome);
    };
    client.on("error", onError);
    client.once("connect", onConnect);
    client.once("close", onClose);
  });
}

async function connectAs(name: string, extra: IClientOptions = {}): Promise<MqttClient> {
  const outcome = await tryConnect({ ...identity(name), clientId: `test-${name}`, ...extra });
  if (!outcome.connected) throw new Error(`${name} could not connect: ${outcome.reason}`);
  return outcome.client;
}

async function waitUntil(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

interface Seen {
  topic: string;
  text: string;
  retain: boolean;
}

/** The controller's identity, watching the whole fleet. Only one connection per identity (use_username_as_clientid). */
class FleetObserver {
  readonly seen: Seen[] = [];
  constructor(readonly client: MqttClient) {
    client.on("message", (topic, payload, packet) => this.seen.push({ topic, text: payload.toString(), retain: packet.retain }));
  }

  on(topic: string): Seen[] {
    return this.seen.filter((m) => m.topic === topic);
  }

  /** Waits for the marker, then QUIET_WINDOW_MS more; returns what arrived on topic from `from` on. */
  async settle(markerTopic: string, marker: string, topic: string, from: number): Promise<Seen[]> {
    await waitUntil(`marker ${marker} on ${markerTopic}`, () => this.seen.some((m) => m.topic === markerTopic && m.text === marker));
    await new Promise((r) => setTimeout(r, QUIET_WINDOW_MS));
    return this.seen.slice(from).filter((m) => m.topic === topic);
  }
}

/** The real agent for host A: simulated hardware, real MQTT link with its certificate. */
class HostAgent {
  readonly clock = new ManualClock(Date.now());
  readonly root = scratchDir("coolfleet-isolation-");
  readonly fleet = new SimFleet({ hosts: 1, root: this.root, seed: 7, profiles: ["poweredge-r740-air"], workloads: ["W4"], clock: this.clock });
  agent: CoolingAgent | undefined;

  async start(): Promise<CoolingAgent> {
    const device = this.fleet.host(this.fleet.hostIds[0]!);
    if (!device) throw new Error("the simulated fleet has no host");
    this.fleet.stepAll(1);
    const base = simAgentConfig("poweredge-r740-air", { hostId: HOST_A, root: device.root, brokerUrl: url });
    const files = hostCertPaths(pki, HOST_A);
    const config = parseAgentConfig({ ...base, broker: { ...base.broker, caFile: caPaths(pki).cert, certFile: files.cert, keyFile: files.key } }, "isolation test config");
    this.agent = await assembleAgent({ config, hostId: HOST_A, clock: this.clock, logger: silentLogger(), inventory: false });
    await this.agent.start();
    return this.agent;
  }

  async period(count = 1): Promise<void> {
    for (let i = 0; i < count; i++) {
      this.fleet.stepAll(1);
      this.clock.advance(1000);
      await this.agent!.whenIdle();
    }
  }

  async stop(): Promise<void> {
    await this.agent?.stop();
    rmSync(this.root, { recursive: true, force: true });
  }
}

function command(id: string, seq: number, nowMs: number, ttlMs = 10_000): Command {
  return { v: 1, id, host: HOST_A, seq, issuedAt: nowMs, expiresAt: nowMs + ttlMs, setpoints: { fanPct: 60 } };
}

let observer: FleetObserver;
let hostA: HostAgent;
let agentA: CoolingAgent;
const clients: MqttClient[] = [];

beforeAll(async () => {
  pki = mkdtempSync(join(tmpdir(), "coolfleet-pki-"));
  initSiteCa({ dir: pki });
  issueBrokerCertificate({ dir: pki, dns: ["localhost"], ip: ["127.0.0.1"] });
  issueControllerCertificate({ dir: pki });
  for (const host of [HOST_A, HOST_B, HOST_C]) issueHostCertificate({ dir: pki, hostId: host });
  // Another site's CA, with a certificate claiming to be host A.
  rogue = mkdtempSync(join(tmpdir(), "coolfleet-rogue-pki-"));
  initSiteCa({ dir: rogue });
  issueHostCertificate({ dir: rogue, hostId: HOST_A });

  broker = await startMosquitto(shippedTlsConfig());
  url = `mqtts://127.0.0.1:${broker.port}`;

  observer = new FleetObserver(await connectAs("controller"));
  await observer.client.subscribeAsync(["coolfleet/v1/+/telemetry", "coolfleet/v1/+/state", "coolfleet/v1/+/ack"], { qos: 1 });
  hostA = new HostAgent();
  agentA = await hostA.start();
}, 30_000);

afterAll(async () => {
  for (const c of clients) await c.endAsync(true).catch(() => undefined);
  await hostA?.stop().catch(() => undefined);
  await observer?.client.endAsync().catch(() => undefined);
  await broker?.dispose();
  rmSync(pki, { recursive: true, force: true });
  rmSync(rogue, { recursive: true, force: true });
});

describe("per-host isolation on mosquitto with client certificates (config/mosquitto/tls.conf + acl)", () => {
  it("lets a real agent in with its certificate; its birth and telemetry reach the controller identity", async () => {
    await waitUntil("host A's birth", () => observer.on(hostTopic(HOST_A, "state")).some((m) => decodeHostState(Buffer.from(m.text)).ok));
    await hostA.period(3);
    await waitUntil("host A's telemetry", () => observer.on(hostTopic(HOST_A, "telemetry")).length >= 3);
    const birth = decodeHostState(Buffer.from(observer.on(hostTopic(HOST_A, "state"))[0]!.text));
    expect(birth.ok && birth.value.online && birth.value.host).toBe(HOST_A);
    expect(agentA.linkStats()).toMatchObject({ connected: true, connects: 1 });
  });

  it("drops everything host B publishes as host A — telemetry, state (retained too) and acks — while B's own telemetry arrives", async () => {
    const b = await connectAs(HOST_B);
    clients.push(b);
    const from = observer.seen.length;
    const spoof = JSON.stringify({ spoofedBy: HOST_B });
    for (const kind of ["telemetry", "state", "ack"] as const) {
      await b.publishAsync(hostTopic(HOST_A, kind), spoof, { qos: 1 });
      await b.publishAsync(hostTopic(HOST_A, kind), spoof, { qos: 0 });
    }
    await b.publishAsync(hostTopic(HOST_A, "state"), spoof, { qos: 1, retain: true });
    // Wildcard-looking and other-root topics are not topics B may write either.
    await b.publishAsync("coolfleet/v1/controller/cmd", spoof, { qos: 1 });
    await b.publishAsync(hostTopic(HOST_B, "telemetry"), "marker-1", { qos: 1 });

    const arrived = await observer.settle(hostTopic(HOST_B, "telemetry"), "marker-1", hostTopic(HOST_A, "telemetry"), from);
    const anywhereForA = observer.seen.slice(from).filter((m) => m.topic.startsWith(`coolfleet/v1/${HOST_A}/`));
    expect(arrived).toEqual([]);
    expect(anywhereForA).toEqual([]);
    expect(observer.seen.slice(from).some((m) => m.text.includes("spoofedBy"))).toBe(false);

    // The retained state of host A is still A's own birth: a fresh subscription gets that, not B's payload.
    await observer.client.unsubscribeAsync("coolfleet/v1/+/state");
    const before = observer.seen.length;
    await observer.client.subscribeAsync(hostTopic(HOST_A, "state"), { qos: 1 });
    await waitUntil("host A's retained state", () => observer.seen.slice(before).some((m) => m.topic === hostTopic(HOST_A, "state") && m.retain));
    const retained = decodeHostState(Buffer.from(observer.seen.slice(before).find((m) => m.retain)!.text));
    expect(retained.ok && retained.value.host === HOST_A && retained.value.online).toBe(true);
    await observer.client.unsubscribeAsync(hostTopic(HOST_A, "state"));
    await observer.client.subscribeAsync("coolfleet/v1/+/state", { qos: 1 });
  });

  it("delivers the controller's commands to host A and not to host B; B's commands never reach A", async () => {
    const b = await connectAs(HOST_B);
    clients.push(b);
    const bReceived: Seen[] = [];
    b.on("message", (topic, payload, packet) => bReceived.push({ topic, text: payload.toString(), retain: packet.retain }));
    // B asks for A's commands in every way a filter allows; the broker "grants" them and must deliver nothing.
    await b.subscribeAsync([hostTopic(HOST_A, "cmd"), "coolfleet/v1/+/cmd", "coolfleet/v1/#", "#", hostTopic(HOST_B, "cmd")], { qos: 1 });

    // The agent subscribes after connecting: an already-expired probe comes back as an "expired" ack once the path works.
    const nowMs = hostA.clock.nowMs();
    const probe: Command = { ...command("probe", 0, nowMs - 10), expiresAt: nowMs - 5 };
    await waitUntil(
      "host A to ack the probe",
      () => {
        void observer.client.publishAsync(hostTopic(HOST_A, "cmd"), encode(probe), { qos: 1 });
        return observer.on(hostTopic(HOST_A, "ack")).some((m) => m.text.includes('"probe"'));
      },
      5000,
    );
    await new Promise((r) => setTimeout(r, 100));
    const receivedBefore = agentA.counters.commandsReceived;

    // B's command for A, then B's marker: the marker arrives, the command does not.
    const fromB = observer.seen.length;
    await b.publishAsync(hostTopic(HOST_A, "cmd"), encode(command("from-b", 50, hostA.clock.nowMs())), { qos: 1 });
    await b.publishAsync(hostTopic(HOST_B, "telemetry"), "marker-2", { qos: 1 });
    await observer.settle(hostTopic(HOST_B, "telemetry"), "marker-2", hostTopic(HOST_A, "ack"), fromB);
    expect(agentA.counters.commandsReceived).toBe(receivedBefore);

    // The controller's command reaches A, which applies and acks it; B's marker command shows B's subscription works.
    const fromController = command("from-controller", 51, hostA.clock.nowMs());
    await observer.client.publishAsync(hostTopic(HOST_A, "cmd"), encode(fromController), { qos: 1 });
    await waitUntil("host A to receive the controller's command", () => agentA.counters.commandsReceived === receivedBefore + 1);
    await hostA.period(1);
    await waitUntil("host A's applied ack", () => observer.on(hostTopic(HOST_A, "ack")).some((m) => m.text.includes('"from-controller"')));
    const ack = decodeAck(Buffer.from(observer.on(hostTopic(HOST_A, "ack")).find((m) => m.text.includes('"from-controller"'))!.text));
    expect(ack.ok && ack.value.status).toBe("applied");

    await observer.client.publishAsync(hostTopic(HOST_B, "cmd"), "marker-3", { qos: 1 });
    await waitUntil("B's own command topic", () => bReceived.some((m) => m.text === "marker-3"));
    await new Promise((r) => setTimeout(r, QUIET_WINDOW_MS));
    expect(bReceived.map((m) => m.topic)).toEqual([hostTopic(HOST_B, "cmd")]);
    expect(agentA.counters.commandsReceived).toBe(receivedBefore + 1);
  });

  it("does not let host B take over host A's session with A's client id", async () => {
    const b = await connectAs(HOST_B, { clientId: `coolfleet-agent-${HOST_A}` });
    clients.push(b);
    await new Promise((r) => setTimeout(r, QUIET_WINDOW_MS));
    expect(agentA.linkStats()).toMatchObject({ connected: true, connects: 1 });
    const from = observer.seen.length;
    await hostA.period(1);
    await waitUntil("host A's telemetry after B connected", () => observer.seen.slice(from).some((m) => m.topic === hostTopic(HOST_A, "telemetry")));
  });

  it("publishes a host's Last Will on its own state topic, never one it set on host A's", async () => {
    const connectWithWill = async (topic: string, text: string): Promise<void> => {
      const outcome = await tryConnect({ ...identity(HOST_C), clientId: "test-host-c", will: { topic, payload: Buffer.from(text), qos: 1, retain: false } });
      // mosquitto 2.0.11 accepts the CONNECT whatever the will topic; a denied will is dropped when it fires.
      if (!outcome.connected) throw new Error(`host C refused: ${outcome.reason}`);
      outcome.client.stream.destroy(); // an unclean end: the broker publishes the will
    };
    await connectWithWill(hostTopic(HOST_C, "state"), "will-of-c");
    await waitUntil("host C's own will", () => observer.on(hostTopic(HOST_C, "state")).some((m) => m.text === "will-of-c"));

    const from = observer.seen.length;
    await connectWithWill(hostTopic(HOST_A, "state"), JSON.stringify({ spoofedBy: HOST_C }));
    const c = await connectAs(HOST_C);
    clients.push(c);
    await c.publishAsync(hostTopic(HOST_C, "telemetry"), "marker-4", { qos: 1 });
    const arrived = await observer.settle(hostTopic(HOST_C, "telemetry"), "marker-4", hostTopic(HOST_A, "state"), from);
    expect(arrived).toEqual([]);
  });

  it("refuses a client without a certificate, one from another CA, and plain MQTT", async () => {
    const reason = (outcome: ConnectOutcome): string => (outcome.connected ? "connected" : outcome.reason);
    const noCert = await tryConnect({ ca: readFileSync(caPaths(pki).cert), clientId: "test-no-cert" });
    expect(reason(noCert)).toMatch(/alert certificate required|handshake failure/);

    const otherCa = await tryConnect({ ...identity(HOST_A, rogue), clientId: "test-rogue" });
    expect(reason(otherCa)).toMatch(/alert unknown ca/);

    const plain = await tryConnect({ clientId: "test-plain" }, `mqtt://127.0.0.1:${broker.port}`);
    expect(plain.connected).toBe(false);

    // Host A was not disturbed by any of them.
    expect(agentA.linkStats()).toMatchObject({ connected: true, connects: 1 });
  });
});
