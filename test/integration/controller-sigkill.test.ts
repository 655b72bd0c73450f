import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { FakeHost } from "../../bench/fake-host.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { encode, hostTopic } from "../../src/protocol/index.js";
import { runCli, waitFor, type CliProcess } from "../helpers/cli.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";

/**
 * The real `coolfleet controller` process killed with SIGKILL while telemetry pours in: every message the broker
 * acknowledged to a publisher must end up stored exactly once after the controller restarts. The controller
 * acknowledges a message to the broker only once its store has it, and its persistent session makes the broker
 * redeliver the rest.
 */

const HOSTS = 40;
const BEFORE_KILL = 6000;
const WHILE_DOWN = 4000;

let broker: MosquittoBroker;
let dir: string;
beforeAll(async () => {
  broker = await startMosquitto();
  dir = scratchDir("coolfleet-controller-sigkill-");
});
afterAll(async () => {
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function storedCounts(dbPath: string): { rows: number; distinctKeys: number } {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare<[], { rows: number; distinctKeys: number }>("SELECT count(*) AS rows, count(DISTINCT host || '/' || boot || '/' || seq) AS distinctKeys FROM telemetry").get();
    return row ?? { rows: 0, distinctKeys: 0 };
  } finally {
    db.close();
  }
}

function safeStoredRows(dbPath: string): number {
  try {
    return storedCounts(dbPath).rows;
  } catch {
    return 0;
  }
}

/** Publishes `count` telemetry messages round-robin over the hosts, QoS 1, at most `window` unacknowledged. */
async function publish(client: mqtt.MqttClient, hosts: FakeHost[], count: number, window = 200): Promise<number> {
  let acked = 0;
  let sent = 0;
  await new Promise<void>((resolve, reject) => {
    const next = (): void => {
      while (sent < count && sent - acked < window) {
        const host = hosts[sent % hosts.length] as FakeHost;
        sent++;
        client.publish(hostTopic(host.hostId, "telemetry"), encode(host.telemetry(Date.now())), { qos: 1 }, (err) => {
          if (err) return reject(err);
          acked++;
          if (acked === count) resolve();
          else next();
        });
      }
    };
    next();
  });
  return acked;
}

function startController(configFile: string): CliProcess {
  return runCli(["controller", "--config", configFile, "--log-level", "warn"]);
}

describe("controller killed with SIGKILL mid-ingest", () => {
  it("loses no telemetry the broker acknowledged and stores none twice after a restart", async () => {
    const dbPath = join(dir, "controller.db");
    const configFile = join(dir, "controller.yaml");
    writeFileSync(
      configFile,
      stringify({ version: 1, broker: { url: broker.url, clientId: `sigkill-${process.pid}` }, http: { host: "127.0.0.1", port: 0 }, store: { path: dbPath } }),
    );
    const hosts = Array.from({ length: HOSTS }, (_, i) => new FakeHost(`kill-${i}`, i));
    const publisher = await mqtt.connectAsync(broker.url, { clientId: `sigkill-pub-${process.pid}`, clean: true });
    let controller = startController(configFile);
    try {
      await waitFor("the controller's dashboard line", () => /dashboard http:/.test(controller.output()), 20_000);

      // Kill it while it is busy: after it stored some, with the rest of the burst still arriving.
      const firstBurst = publish(publisher, hosts, BEFORE_KILL);
      await waitFor("the controller to store telemetry", () => safeStoredRows(dbPath) >= 1500, 20_000);
      controller.child.kill("SIGKILL");
      await controller.exited;
      const ackedBefore = await firstBurst;
      const storedAtKill = storedCounts(dbPath).rows;
      expect(storedAtKill).toBeLessThan(BEFORE_KILL);

      // More telemetry while it is down: the broker holds it for the controller's persistent session.
      const ackedWhileDown = await publish(publisher, hosts, WHILE_DOWN);
      const acked = ackedBefore + ackedWhileDown;
      expect(acked).toBe(BEFORE_KILL + WHILE_DOWN);

      controller = startController(configFile);
      // On a time-out the assertion below says how many arrived.
      await waitFor("every acknowledged message stored", () => safeStoredRows(dbPath) >= acked, 60_000).catch(() => undefined);
      // A little longer: redelivered duplicates, if any got through, would show up now.
      await new Promise((r) => setTimeout(r, 500));
      controller.child.kill("SIGTERM");
      expect(await controller.exited, controller.output()).toEqual({ code: 0, signal: null });

      const counts = storedCounts(dbPath);
      expect(counts).toEqual({ rows: acked, distinctKeys: acked });
    } finally {
      controller.child.kill("SIGKILL");
      await publisher.endAsync();
    }
  }, 120_000);
});
