import mqtt from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { FakeHost } from "../../bench/fake-host.js";
import { createWorkload } from "../../firmware-sim/index.js";
import type { HostStateName } from "../../src/controller/types.js";
import { encode, hostTopic, type Telemetry } from "../../src/protocol/index.js";
import { FleetHarness, type FleetHarnessOptions } from "../helpers/fleet-harness.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";

let broker: MosquittoBroker;
const harnesses: FleetHarness[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker.dispose();
});
afterEach(async () => {
  for (const h of harnesses.splice(0)) await h.stop();
});

async function fleet(options: Omit<FleetHarnessOptions, "brokerUrl">): Promise<FleetHarness> {
  const h = new FleetHarness({ brokerUrl: broker.url, ...options });
  harnesses.push(h);
  await h.start();
  return h;
}

async function storedKeys(h: FleetHarness, hostId: string): Promise<string[]> {
  const rows = await h.store.telemetryRange(hostId, 0, Number.MAX_SAFE_INTEGER, 1_000_000);
  return rows.map((t) => `${t.boot}/${t.seq}`);
}

async function statesOf(h: FleetHarness, hostId: string): Promise<HostStateName[]> {
  return (await h.store.transitions(hostId)).map((t) => t.to);
}

describe("controller with a real mosquitto, simulated hosts and real agents", () => {
  it("stores every telemetry message exactly once, across a broker restart and QoS 1 redelivery", async () => {
    const h = await fleet({ hosts: 3, workloads: ["W4"] });
    await h.period(10);
    await broker.stop();
    await h.until("agents see the outage", () => [...h.agents.values()].every((a) => !a.linkStats().connected));
    // Agents keep controlling and queue telemetry while the broker is down.
    for (let i = 0; i < 5; i++) {
      h.fleet.stepAll(1);
      h.clock.advance(1000);
      for (const agent of h.agents.values()) await agent.whenIdle();
    }
    await broker.start();
    for (let i = 0; i < 200 && ![...h.agents.values()].every((a) => a.linkStats().connected); i++) {
      h.clock.advance(500); // agents' reconnect backoff runs on the injected clock
      await new Promise((r) => setTimeout(r, 20));
    }
    await h.period(5);

    // A client replaying already-delivered telemetry, as a QoS 1 redelivery would.
    const [firstHost] = h.agents.keys();
    const replayed: Telemetry[] = await h.store.telemetryRange(firstHost!, 0, Number.MAX_SAFE_INTEGER, 5);
    const replayer = await mqtt.connectAsync(broker.url);
    for (const t of replayed) await replayer.publishAsync(hostTopic(t.host, "telemetry"), encode(t), { qos: 1 });
    await replayer.endAsync();
    await h.until("replays counted", () => h.controller.ingestStats().duplicates >= replayed.length);
    await h.controller.stop();

    for (const [hostId, agent] of h.agents) {
      const keys = await storedKeys(h, hostId);
      expect(new Set(keys).size).toBe(keys.length);
      expect(keys.length).toBe(agent.counters.ticks);
    }
    const stats = h.controller.ingestStats();
    expect(stats.pending).toBe(0);
    expect(stats.stored).toBe([...h.agents.values()].reduce((n, a) => n + a.counters.ticks, 0));
  });

  it("stores telemetry replayed from an agent's outbox but neither plans nor changes state on it", async () => {
    const h = await fleet({ hosts: 1 });
    await h.period(2);
    const late = new FakeHost("late-01", 1);
    const live = new FakeHost("live-01", 2);
    const commandsTo: string[] = [];
    const client = await mqtt.connectAsync(broker.url);
    client.on("message", (topic) => commandsTo.push(topic.split("/")[2] ?? ""));
    await client.subscribeAsync("coolfleet/v1/+/cmd", { qos: 1 });
    const nowMs = h.clock.nowMs();
    for (const host of [late, live]) await client.publishAsync(hostTopic(host.hostId, "state"), encode(host.birth(nowMs)), { qos: 1, retain: true });
    await h.until("both births stored", () => h.controller.host("late-01") !== undefined && h.controller.host("live-01") !== undefined);
    const historical: Telemetry[] = [];
    for (let i = 0; i < 3; i++) {
      const t: Telemetry = { ...late.telemetry(nowMs - 60_000 + i * 1000), historical: true };
      historical.push(t);
      await client.publishAsync(hostTopic(late.hostId, "telemetry"), encode(t), { qos: 1 });
      await client.publishAsync(hostTopic(live.hostId, "telemetry"), encode(live.telemetry(nowMs + i * 1000)), { qos: 1 });
    }
    await h.until("all six stored", () => h.controller.ingestStats().stored >= 6 + 2 * 1);
    // Planning runs on the controller's clock.
    await h.period(2);
    await h.until("the live host commanded", () => commandsTo.includes("live-01"));
    await client.endAsync();
    expect(await h.store.telemetryRange("late-01", 0, Number.MAX_SAFE_INTEGER)).toEqual(historical);
    expect(commandsTo).not.toContain("late-01");
    // Its view still shows only the birth: no readings, no outputs.
    expect(h.controller.host("late-01")?.view).toMatchObject({ fanPct: undefined, mode: undefined });
    expect(h.controller.host("late-01")?.view.temperatures.map((x) => x.tempC)).toEqual([null, null]);
    expect(h.controller.host("live-01")?.view.fanPct).toBe(45);
    // Who plans the host, as the API shows it.
    expect(h.controller.host("live-01")?.view.plannedBy).toEqual({ policy: "b2" });
    expect(h.controller.hosts().find((v) => v.hostId === "live-01")?.plannedBy).toEqual({ policy: "b2" });
  });

  it("counts bad payloads by reason and keeps going", async () => {
    const h = await fleet({ hosts: 1 });
    await h.period(2);
    const hostId = [...h.agents.keys()][0]!;
    const bad = await mqtt.connectAsync(broker.url);
    await bad.publishAsync(hostTopic(hostId, "telemetry"), "{not json", { qos: 1 });
    await bad.publishAsync(hostTopic(hostId, "telemetry"), JSON.stringify({ v: 1, host: hostId, seq: -1 }), { qos: 1 });
    await bad.publishAsync(hostTopic("someone-else", "telemetry"), encode({ ...(await h.store.telemetryRange(hostId, 0, Number.MAX_SAFE_INTEGER, 1))[0]!, seq: 999_999 }), { qos: 1 });
    await bad.publishAsync(hostTopic(hostId, "ack"), Buffer.from([0xff, 0xfe, 0x00]), { qos: 1 });
    await bad.endAsync();
    await h.until("rejections counted", () => Object.values(h.controller.ingestStats().rejected).reduce((a, b) => a + b, 0) >= 4);
    const rejected = h.controller.ingestStats().rejected;
    expect(rejected.bad_json).toBe(2);
    expect(rejected.schema).toBe(1);
    expect(rejected.host_mismatch).toBe(1);
    await h.period(3);
    expect(h.controller.host(hostId)?.view.online).toBe(true);
  });

  it("drives a host through Cooling and back on the W1 step workload, sending acked commands", async () => {
    const h = await fleet({ hosts: 1, workloads: ["W1"] });
    const hostId = [...h.agents.keys()][0]!;
    const seen: HostStateName[] = [];
    for (let i = 0; i < 900 && !(seen.includes("Cooling") && seen.at(-1) === "Running" && seen.length > 2); i++) {
      await h.period(1);
      const state = h.controller.host(hostId)!.view.state;
      if (seen.at(-1) !== state) seen.push(state);
    }
    expect(seen).toEqual(expect.arrayContaining(["Running", "Cooling"]));
    expect(seen.at(-1)).toBe("Running");
    const transitions = await h.store.transitions(hostId);
    expect(transitions.find((t) => t.to === "Cooling")?.cause).toMatch(/margin/);
    const commands = h.controller.commandStats();
    expect(commands.sent).toBeGreaterThan(10);
    expect(commands.acked.applied).toBeGreaterThan(10);
  });

  it("drives a host through DataStorage and back on the W10 data-influx workload", async () => {
    // W10 played 5× faster: its 10-20 minute influx becomes 2-4 minutes of simulated time.
    const h = await fleet({ hosts: 1, workloads: [createWorkload("W10", { seed: 2, timeCompression: 5 })] });
    const hostId = [...h.agents.keys()][0]!;
    const seen: HostStateName[] = [];
    for (let i = 0; i < 1500 && !(seen.includes("DataStorage") && seen.at(-1) === "Running" && seen.length > 2); i++) {
      await h.period(1);
      const state = h.controller.host(hostId)!.view.state;
      if (seen.at(-1) !== state) seen.push(state);
    }
    expect(seen).toContain("DataStorage");
    expect(seen.at(-1)).toBe("Running");
    expect((await statesOf(h, hostId)).filter((s) => s === "DataStorage").length).toBeGreaterThanOrEqual(1);
  });

  it("puts a host in Error when a required sensor dies, and back to Running when it returns", async () => {
    const h = await fleet({ hosts: 1, workloads: ["W4"] });
    const hostId = [...h.agents.keys()][0]!;
    await h.period(25);
    expect(h.controller.host(hostId)!.view.state).toBe("Running");
    h.device(hostId).injectSensorFault("coretemp.0:Package id 0", { kind: "dropout" });
    for (let i = 0; i < 15 && h.controller.host(hostId)!.view.state !== "Error"; i++) await h.period(1);
    expect(h.controller.host(hostId)!.view.state).toBe("Error");
    expect((await h.store.transitions(hostId)).at(-1)?.cause).toMatch(/sensor|failsafe|required/i);
    h.device(hostId).clearSensorFault("coretemp.0:Package id 0");
    for (let i = 0; i < 90 && h.controller.host(hostId)!.view.state === "Error"; i++) await h.period(1);
    expect(h.controller.host(hostId)!.view.state).toBe("Running");
  });
});
