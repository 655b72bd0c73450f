/**
 * Load generator for bench:controller, run as a child process so it does not share the measured event loop.
 *   burst  --url U --hosts H --count N --topic fleet|raw   publish N telemetry messages as fast as QoS 1 allows
 *   steady --url U --hosts H --seconds S                  every host at 1 Hz; measures telemetry → command latency
 * Reports one JSON line per event on stdout.
 */
import { parseArgs } from "node:util";
import mqtt from "mqtt";
import { percentile } from "../src/core/percentile.js";
import { encode, hostTopic, parseTopic } from "../src/protocol/index.js";
import { FakeHost } from "./fake-host.js";

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    url: { type: "string" },
    hosts: { type: "string", default: "100" },
    count: { type: "string", default: "30000" },
    seconds: { type: "string", default: "30" },
    topic: { type: "string", default: "fleet" },
  },
});
const mode = positionals[0];
const hostCount = Number(values.hosts);
const report = (event: Record<string, unknown>): void => void process.stdout.write(`${JSON.stringify(event)}\n`);

async function main(): Promise<void> {
  if (!values.url) throw new Error("--url is required");
  const client = await mqtt.connectAsync(values.url, { clientId: `bench-publisher-${process.pid}`, clean: true });
  const hosts = Array.from({ length: hostCount }, (_, i) => new FakeHost(`bench-${String(i).padStart(5, "0")}`, i));
  const raw = values.topic === "raw";
  if (!raw) {
    await Promise.all(hosts.map((h) => client.publishAsync(hostTopic(h.hostId, "state"), encode(h.birth(Date.now())), { qos: 1, retain: true })));
  }
  if (mode === "burst") await burst(client, hosts, Number(values.count), raw);
  else if (mode === "steady") await steady(client, hosts, Number(values.seconds));
  else throw new Error(`unknown mode "${mode}": burst or steady`);
  await client.endAsync();
}

async function burst(client: mqtt.MqttClient, hosts: FakeHost[], count: number, raw: boolean): Promise<void> {
  report({ event: "burst-start", startedMs: Date.now() });
  const startedMs = Date.now();
  let acked = 0;
  await new Promise<void>((resolve) => {
    // Bounded in flight so the measurement is of the broker and the consumer, not of a client-side queue.
    const window = 1000;
    let sent = 0;
    const sendMore = (): void => {
      while (sent < count && sent - acked < window) {
        const host = hosts[sent % hosts.length]!;
        const topic = raw ? `bench/raw/${host.hostId}` : hostTopic(host.hostId, "telemetry");
        sent++;
        client.publish(topic, encode(host.telemetry(Date.now())), { qos: 1 }, () => {
          acked++;
          if (acked === count) resolve();
          else sendMore();
        });
      }
    };
    sendMore();
  });
  report({ event: "burst-done", sent: count, startedMs, ackedMs: Date.now() });
}

async function steady(client: mqtt.MqttClient, hosts: FakeHost[], seconds: number): Promise<void> {
  const lastPublishMs = new Map<string, number>();
  const latenciesMs: number[] = [];
  let commands = 0;
  client.on("message", (topic) => {
    const parsed = parseTopic(topic);
    if (parsed?.kind !== "cmd") return;
    commands++;
    const sentMs = lastPublishMs.get(parsed.hostId);
    if (sentMs === undefined) return;
    latenciesMs.push(Date.now() - sentMs);
    lastPublishMs.delete(parsed.hostId); // one latency per telemetry message
  });
  await client.subscribeAsync("coolfleet/v1/+/cmd", { qos: 1 });
  let sent = 0;
  const startedMs = Date.now();
  const timers = hosts.map((host, i) => {
    const offsetMs = Math.round((i / hosts.length) * 1000);
    return setTimeout(function publish() {
      if (Date.now() - startedMs >= seconds * 1000) return;
      const nowMs = Date.now();
      client.publish(hostTopic(host.hostId, "telemetry"), encode(host.telemetry(nowMs)), { qos: 1 });
      lastPublishMs.set(host.hostId, nowMs);
      sent++;
      timers[i] = setTimeout(publish, 1000 - ((Date.now() - startedMs - offsetMs) % 1000));
    }, offsetMs);
  });
  await new Promise((r) => setTimeout(r, seconds * 1000 + 1500));
  timers.forEach((t) => clearTimeout(t));
  report({
    event: "steady-done",
    sent,
    commands,
    latencySamples: latenciesMs.length,
    latencyP50Ms: percentile(latenciesMs, 50),
    latencyP99Ms: percentile(latenciesMs, 99),
    latencyMaxMs: Math.max(...latenciesMs),
  });
}

main().catch((err: unknown) => {
  process.stderr.write(`publisher: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
