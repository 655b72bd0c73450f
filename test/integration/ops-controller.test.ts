import { createRequire } from "node:module";
import mqtt from "mqtt";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeHost } from "../../bench/fake-host.js";
import { SimFleet } from "../../firmware-sim/index.js";
import type { CoolingAgent } from "../../src/agent/agent.js";
import { assembleAgent } from "../../src/agent/assemble.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";
import { parseControllerConfig } from "../../src/config/load.js";
import { ManualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { encode, hostTopic } from "../../src/protocol/index.js";
import { startControllerService, type ControllerService } from "../../src/controller/controller-service.js";
import { runCli } from "../helpers/cli.js";
import { freePort, startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";

/**
 * The controller service as `coolfleet controller` runs it — store, ingest, planner, HTTP — fed by real agents on
 * simulated hosts over a real mosquitto: its Prometheus metrics, and `coolfleet status` against its API.
 */

interface MetricFamily {
  name: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; count?: string; sum?: string }>;
}
const parsePrometheus = createRequire(import.meta.url)("parse-prometheus-text-format") as (text: string) => MetricFamily[];

let broker: MosquittoBroker;
let root: string;
let clock: ManualClock;
let fleet: SimFleet;
let service: ControllerService;
const agents = new Map<string, CoolingAgent>();

async function until(what: string, predicate: () => boolean, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** One control period for everyone: physics, agents, then wait until the controller has taken the telemetry in. */
async function period(): Promise<void> {
  fleet.stepAll(1);
  clock.advance(1000);
  for (const agent of agents.values()) await agent.whenIdle();
  const ticks = [...agents.values()].reduce((n, a) => n + a.counters.ticks, 0);
  await until("controller ingest", () => {
    const s = service.controller.ingestStats();
    return s.accepted + s.duplicates >= ticks;
  });
}

beforeAll(async () => {
  broker = await startMosquitto();
  root = scratchDir("coolfleet-ops-controller-");
  clock = new ManualClock(Date.now());
  fleet = new SimFleet({ hosts: 2, root: join(root, "hosts"), seed: 6, clock, profiles: ["poweredge-r740-air"], workloads: ["W3"] });
  fleet.stepAll(1);
  const config = parseControllerConfig(
    { version: 1, broker: { url: broker.url, clientId: `ops-controller-${process.pid}` }, http: { host: "127.0.0.1", port: 0 }, store: { path: join(root, "controller.db") } },
    "test",
  );
  service = await startControllerService({ config, clock, logger: silentLogger() });
  for (const simId of fleet.hostIds) {
    const device = fleet.host(simId);
    const hostId = `ops-${simId}`;
    const agentConfig = simAgentConfig(device.profile.id, { hostId, root: device.root, brokerUrl: broker.url });
    agents.set(hostId, await assembleAgent({ config: agentConfig, hostId, clock, logger: silentLogger(), inventory: false }));
  }
  for (const agent of agents.values()) await agent.start();
  await until("agents connected", () => [...agents.values()].every((a) => a.linkStats().connected));
  for (let i = 0; i < 30; i++) await period();
  await until("acks for commands", () => (service.controller.commandStats().acked.applied ?? 0) > 0);
});

afterAll(async () => {
  for (const agent of agents.values()) await agent.stop().catch(() => undefined);
  await service?.stop();
  await broker.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe("controller metrics from a running controller (ops)", () => {
  it("/metrics text parses, with every host's gauges, ingest and command counters, ack latency and energy", async () => {
    // Scraped over HTTP, as Prometheus does.
    const response = await fetch(`${service.http.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    const families = new Map(parsePrometheus(text).map((f) => [f.name, f]));
    const values = (name: string, labels: Record<string, string> = {}): number[] =>
      (families.get(name)?.metrics ?? []).filter((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v)).map((m) => Number(m.value));

    for (const hostId of agents.keys()) {
      expect(values("coolfleet_host_online", { host: hostId }), hostId).toEqual([1]);
      expect(values("coolfleet_host_temperature_celsius", { host: hostId, role: "cpu" }).length, hostId).toBeGreaterThan(0);
      expect(values("coolfleet_host_temperature_celsius", { host: hostId, role: "cpu" }).every((t) => t > 20 && t < 110)).toBe(true);
      expect(values("coolfleet_host_fan_percent", { host: hostId })[0]).toBeGreaterThanOrEqual(0);
      expect(values("coolfleet_host_power_watts", { host: hostId })[0]).toBeGreaterThan(50);
      expect(values("coolfleet_host_state", { host: hostId }).reduce((a, b) => a + b, 0)).toBe(1);
      // ~29 s at a few hundred watts.
      expect(values("coolfleet_host_energy_joules_total", { host: hostId })[0]).toBeGreaterThan(29 * 50);
    }
    const ingest = service.controller.ingestStats();
    expect(values("coolfleet_ingest_accepted_total")).toEqual([ingest.accepted]);
    // Real agents over QoS 1 lose nothing: no gap in any host's sequence numbers.
    expect(values("coolfleet_ingest_seq_gaps_total")).toEqual([0]);
    expect(values("coolfleet_ingest_late_arrivals_total")).toEqual([0]);
    const commands = service.controller.commandStats();
    expect(values("coolfleet_commands_sent_total")).toEqual([commands.sent]);
    expect(values("coolfleet_commands_acked_total", { status: "applied" })).toEqual([commands.acked.applied]);
    // The store's first acks feed the histogram: the wiring in controller-service.
    const latency = families.get("coolfleet_command_ack_latency_seconds")!;
    expect(latency.type).toBe("HISTOGRAM");
    expect(Number(latency.metrics[0]!.count)).toBeGreaterThan(0);
    expect(values("coolfleet_state_transitions_total", { from: "Setup", to: "Running" }).reduce((a, b) => a + b, 0)).toBe(agents.size);
    expect(families.get("process_resident_memory_bytes")?.type).toBe("GAUGE");
  });

  it("coolfleet status prints the fleet from the controller's API", async () => {
    const status = runCli(["status", "--url", service.http.url]);
    const exit = await status.exited;
    expect(exit, status.output()).toEqual({ code: 0, signal: null });
    const out = status.output();
    expect(out).toContain(`controller ${service.http.url} · policy b2`);
    expect(out).toMatch(/hosts 2, online 2 \(/);
    expect(out).toMatch(/HOST\s+STATE\s+ONLINE\s+MODE\s+PLANNED BY\s+HOTTEST SENSOR\s+°C\s+TARGET\s+CRIT\s+FAN %\s+PUMP %\s+POWER W/);
    // The simulated agents announce their fans' watts: the summary estimates the fleet's cooling power.
    expect(out).toMatch(/ · cooling ~\d+ W \(estimated on 2 host\(s\)\)/);
    for (const hostId of agents.keys()) expect(out).toMatch(new RegExp(`\\n${hostId}\\s+(Running|Cooling|Scaling|DataStorage)\\s+yes\\s+\\S+\\s+b2\\s+`));
    console.log(out);

    const json = runCli(["status", "--url", service.http.url, "--json"]);
    expect((await json.exited).code).toBe(0);
    const parsed = JSON.parse(json.output()) as { summary: { hosts: number }; hosts: Array<{ hostId: string }> };
    expect(parsed.summary.hosts).toBe(2);
  });

  it("coolfleet status exits 1 with a clear message when no controller answers", async () => {
    const port = await freePort();
    const status = runCli(["status", "--url", `http://127.0.0.1:${port}`, "--timeout-s", "2"]);
    const exit = await status.exited;
    expect(exit.code).toBe(1);
    expect(status.output()).toBe(
      `coolfleet status: cannot reach the controller at http://127.0.0.1:${port} (ECONNREFUSED); is it running? (systemctl status coolfleet-controller, or pass --url)\n`,
    );
  });

  it("coolfleet status exits 1 when the URL answers but is not a coolfleet controller", async () => {
    const status = runCli(["status", "--url", `${service.http.url}/nope/`]);
    expect((await status.exited).code).toBe(1);
    expect(status.output()).toMatch(/GET .*\/nope\/api\/summary answered 404 Not Found/);
  });

  it("counts telemetry that never reached it: a host whose messages 3 to 5 were lost on the way", async () => {
    const host = new FakeHost("gap-01", 1);
    const client = await mqtt.connectAsync(broker.url, { clientId: `gap-${process.pid}` });
    try {
      const nowMs = clock.nowMs();
      const before = service.controller.ingestStats().accepted;
      await client.publishAsync(hostTopic(host.hostId, "state"), encode(host.birth(nowMs)), { qos: 1, retain: true });
      const sent = Array.from({ length: 8 }, (_, i) => host.telemetry(nowMs + i * 1000));
      for (const t of [...sent.slice(0, 3), ...sent.slice(6)]) await client.publishAsync(hostTopic(host.hostId, "telemetry"), encode(t), { qos: 1 });
      await until("all five messages", () => service.controller.ingestStats().accepted >= before + 5);
      const text = await (await fetch(`${service.http.url}/metrics`)).text();
      const families = new Map(parsePrometheus(text).map((f) => [f.name, f]));
      expect(Number(families.get("coolfleet_ingest_seq_gaps_total")?.metrics[0]?.value)).toBe(3);
      // One of them arrives after all (a late redelivery): it is counted late, and 2 never arrived.
      await client.publishAsync(hostTopic(host.hostId, "telemetry"), encode(sent[4]!), { qos: 1 });
      await until("the late message", () => service.controller.ingestStats().lateArrivals === 1);
      expect(service.controller.ingestStats()).toMatchObject({ seqGaps: 3, lateArrivals: 1 });
    } finally {
      await client.endAsync();
    }
  });
});
