/**
 * Controller ingest benchmark against a real mosquitto on this machine.
 *   1. raw broker ceiling: a publisher process → mosquitto → a plain mqtt.js subscriber, QoS 1, telemetry-sized payloads;
 *   2. controller ingest: the same publisher → mosquitto → the controller (validation, dedupe, SQLite), same count;
 *   3. many light hosts at 1 Hz: telemetry → command latency (p50/p99) and loss.
 * Usage: npm run bench:controller [-- --count 30000 --hosts 2000 --seconds 30]
 */
import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import mqtt from "mqtt";
import { parseControllerConfig } from "../src/config/load.js";
import { SystemClock } from "../src/core/clock.js";
import { silentLogger } from "../src/core/logger.js";
import { scratchDir } from "../src/core/scratch-dir.js";
import { packageRoot } from "../src/core/version.js";
import { FleetController } from "../src/controller/controller.js";
import { SqliteTelemetryStore } from "../src/controller/store/index.js";
import { startMosquitto } from "./mosquitto.js";

const { values } = parseArgs({
  options: {
    count: { type: "string", default: "30000" },
    hosts: { type: "string", default: "2000" },
    seconds: { type: "string", default: "30" },
  },
});
const count = Number(values.count);
const steadyHosts = Number(values.hosts);
const steadySeconds = Number(values.seconds);

interface PublisherEvent {
  event: string;
  [key: string]: unknown;
}

function runPublisher(args: string[]): { done: Promise<PublisherEvent[]> } {
  const child = spawn(process.execPath, [join(packageRoot(), "dist/bench/telemetry-publisher.js"), ...args], { stdio: ["ignore", "pipe", "inherit"] });
  const events: PublisherEvent[] = [];
  let buffer = "";
  child.stdout.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const lines = buffer.split("\n");
    buffer = lines.pop() ?? "";
    for (const line of lines) if (line.trim()) events.push(JSON.parse(line) as PublisherEvent);
  });
  return {
    done: new Promise((resolve, reject) => {
      child.once("exit", (code) => (code === 0 ? resolve(events) : reject(new Error(`publisher exited with ${code}`))));
    }),
  };
}

async function waitUntil(predicate: () => boolean, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
  return Date.now();
}

async function rawCeiling(url: string): Promise<number> {
  const subscriber = await mqtt.connectAsync(url, { clientId: `bench-raw-sub-${process.pid}` });
  let received = 0;
  subscriber.on("message", () => received++);
  await subscriber.subscribeAsync("bench/raw/#", { qos: 1 });
  const events = runPublisher(["burst", "--url", url, "--hosts", "100", "--count", String(count), "--topic", "raw"]);
  const lastMs = await waitUntil(() => received >= count, 300_000);
  const start = (await events.done).find((e) => e.event === "burst-start")!.startedMs as number;
  await subscriber.endAsync();
  return count / ((lastMs - start) / 1000);
}

async function startController(url: string, dir: string, name: string, skipUnchanged: boolean) {
  const store = new SqliteTelemetryStore(join(dir, `${name}.db`));
  const config = parseControllerConfig({ version: 1, broker: { url, clientId: `bench-${name}-${process.pid}` }, planner: { skipUnchanged } }, "bench");
  const controller = new FleetController({ config, clock: new SystemClock(), logger: silentLogger(), store });
  await controller.start();
  return { store, controller };
}

async function controllerIngest(url: string, dir: string): Promise<{ rate: number; stored: number; duplicates: number }> {
  const { store, controller } = await startController(url, dir, "ingest", true);
  const events = runPublisher(["burst", "--url", url, "--hosts", "100", "--count", String(count), "--topic", "fleet"]);
  const acceptedMs = await waitUntil(() => controller.ingestStats().accepted >= count, 300_000);
  const lastMs = await waitUntil(() => controller.ingestStats().stored >= count, 300_000);
  const publisherDone = await events.done;
  const startMs = publisherDone.find((e) => e.event === "burst-start")!.startedMs as number;
  const ackedMs = publisherDone.find((e) => e.event === "burst-done")!.ackedMs as number;
  process.stdout.write(`  [ingest timeline: broker acked all at +${ackedMs - startMs} ms, controller accepted all at +${acceptedMs - startMs} ms, stored all at +${lastMs - startMs} ms]\n`);
  const start = startMs;
  const stats = controller.ingestStats();
  await controller.stop();
  const stored = await store.countTelemetry();
  await store.close();
  return { rate: count / ((lastMs - start) / 1000), stored, duplicates: stats.duplicates };
}

async function steadyLatency(url: string, dir: string) {
  const { store, controller } = await startController(url, dir, "steady", false);
  const events = await runPublisher(["steady", "--url", url, "--hosts", String(steadyHosts), "--seconds", String(steadySeconds)]).done;
  const done = events.find((e) => e.event === "steady-done")!;
  await waitUntil(() => controller.ingestStats().pending === 0, 30_000);
  await controller.stop();
  const stored = await store.countTelemetry();
  await store.close();
  return { sent: done.sent as number, stored, p50: done.latencyP50Ms as number, p99: done.latencyP99Ms as number, max: done.latencyMaxMs as number, samples: done.latencySamples as number };
}

async function main(): Promise<void> {
  const dir = scratchDir("coolfleet-bench-controller-");
  const broker = await startMosquitto(["max_queued_messages 0", "max_inflight_messages 0"]);
  try {
    process.stdout.write(`controller benchmark: mosquitto on loopback, ${count} telemetry messages per burst, node ${process.version}\n`);
    const raw = await rawCeiling(broker.url);
    process.stdout.write(`  raw broker ceiling (QoS 1, mqtt.js → mqtt.js):    ${raw.toFixed(0)} msg/s\n`);
    const ingest = await controllerIngest(broker.url, dir);
    process.stdout.write(`  controller ingest (validate, dedupe, SQLite):     ${ingest.rate.toFixed(0)} msg/s  (${((ingest.rate / raw) * 100).toFixed(0)} % of raw; stored ${ingest.stored}/${count}, duplicates ${ingest.duplicates})\n`);
    const steady = await steadyLatency(broker.url, dir);
    process.stdout.write(
      `  ${steadyHosts} hosts at 1 Hz for ${steadySeconds} s: sent ${steady.sent}, stored ${steady.stored}, lost ${steady.sent - steady.stored}\n` +
        `  telemetry → command latency: p50 ${steady.p50} ms, p99 ${steady.p99} ms, max ${steady.max} ms (${steady.samples} samples)\n`,
    );
    process.stdout.write(`  targets: ingest ≥ 50 % of raw, p99 ≤ 200 ms, zero loss\n`);
  } finally {
    await broker.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:controller failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
