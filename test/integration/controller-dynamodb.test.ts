import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { FakeHost } from "../../bench/fake-host.js";
import { DynamoTelemetryStore } from "../../src/controller/store/dynamodb-telemetry-store.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { encode, hostTopic } from "../../src/protocol/index.js";
import { runCli, waitFor } from "../helpers/cli.js";
import { DYNALITE_CREDENTIALS, startDynalite, type Dynalite } from "../helpers/dynalite.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";

/**
 * The real `coolfleet controller` process with `store.kind: dynamodb` against dynalite: it creates its table, stores
 * what agents publish through a real mosquitto, and what it stored reads back through a second store on the table.
 * Credentials come from the environment, as the AWS SDK's default chain finds them in production.
 */

let broker: MosquittoBroker;
let dynalite: Dynalite;
let dir: string;
beforeAll(async () => {
  [broker, dynalite] = await Promise.all([startMosquitto(), startDynalite()]);
  dir = scratchDir("coolfleet-controller-dynamodb-");
});
afterAll(async () => {
  await Promise.all([broker.dispose(), dynalite.close()]);
  rmSync(dir, { recursive: true, force: true });
});

describe("controller with the DynamoDB store", () => {
  it("starts against a DynamoDB endpoint, creates its table and stores telemetry published over MQTT", async () => {
    const tableName = `controller-${process.pid}`;
    const configFile = join(dir, "controller.yaml");
    writeFileSync(
      configFile,
      stringify({
        version: 1,
        broker: { url: broker.url, clientId: `dynamodb-${process.pid}` },
        http: { host: "127.0.0.1", port: 0 },
        store: { kind: "dynamodb", dynamodb: { region: "us-east-1", endpoint: dynalite.endpoint, tableName, createTable: true } },
      }),
    );
    const controller = runCli(["controller", "--config", configFile, "--log-level", "warn"], {
      AWS_ACCESS_KEY_ID: DYNALITE_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: DYNALITE_CREDENTIALS.secretAccessKey,
    });
    const publisher = await mqtt.connectAsync(broker.url, { clientId: `dynamodb-pub-${process.pid}`, clean: true });
    const store = { current: undefined as DynamoTelemetryStore | undefined };
    try {
      await waitFor("the controller's dashboard line", () => /dashboard http:/.test(controller.output()), 20_000);
      expect(controller.output()).toContain(`store dynamodb ${tableName} (us-east-1 at ${dynalite.endpoint})`);

      const host = new FakeHost("ddb-01", 1);
      const t0 = Date.now();
      await publisher.publishAsync(hostTopic(host.hostId, "state"), encode(host.birth(t0)), { qos: 1, retain: true });
      const sent = Array.from({ length: 5 }, (_, i) => host.telemetry(t0 + 1_000 * (i + 1)));
      for (const t of sent) await publisher.publishAsync(hostTopic(host.hostId, "telemetry"), encode(t), { qos: 1 });
      // The same message again, as a QoS 1 redelivery: stored once.
      await publisher.publishAsync(hostTopic(host.hostId, "telemetry"), encode(sent[0]!), { qos: 1 });

      store.current = await DynamoTelemetryStore.open({ tableName, region: "us-east-1", endpoint: dynalite.endpoint, credentials: DYNALITE_CREDENTIALS });
      const reader = store.current;
      const deadline = Date.now() + 15_000;
      while ((await reader.countTelemetry(host.hostId)) < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      expect(await reader.telemetryRange(host.hostId, 0, Number.MAX_SAFE_INTEGER)).toEqual(sent);
      expect(await reader.getHost(host.hostId)).toMatchObject({ hostId: host.hostId, online: true, birth: host.birth(t0) });

      controller.child.kill("SIGTERM");
      expect(await controller.exited, controller.output()).toEqual({ code: 0, signal: null });
      expect(await reader.countTelemetry()).toBe(5);
    } finally {
      controller.child.kill("SIGKILL");
      await publisher.endAsync();
      await store.current?.close();
    }
  }, 60_000);
});
