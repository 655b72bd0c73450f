import { rmSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { FakeHost } from "../../bench/fake-host.js";
import { simulatedSequences } from "../../bench/closed-loop/training-data.js";
import { ControllerConfig } from "../../src/config/controller-schema.js";
import { startControllerService, type ControllerService } from "../../src/controller/controller-service.js";
import { selectTfBackend } from "../../src/controller/model/backend.js";
import { buildDataset } from "../../src/controller/model/dataset.js";
import { LIQUID_LAYOUT } from "../../src/controller/model/model-layout.js";
import { liquidRegistryDir, ModelRegistry } from "../../src/controller/model/model-registry.js";
import { startModelService } from "../../src/controller/model/model-service.js";
import { trainThermalMlp } from "../../src/controller/model/training.js";
import { SystemClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { decodeCommand, encode, hostTopic } from "../../src/protocol/index.js";
import { waitFor } from "../helpers/cli.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";

/** The mpc policy in the controller: its model from the registry, cold start on the fallback (B1), new versions served at once. */

let broker: MosquittoBroker;
let dir: string;
beforeAll(async () => {
  broker = await startMosquitto();
  dir = scratchDir("coolfleet-controller-mpc-");
});
afterAll(async () => {
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function mpcConfig(name: string, trainCron: string | null = null): ControllerConfig {
  return ControllerConfig.parse({
    version: 1,
    broker: { url: broker.url, clientId: `mpc-${name}-${process.pid}` },
    http: { host: "127.0.0.1", port: 0 },
    store: { path: join(dir, `${name}.db`) },
    planner: { policy: "mpc", model: { dir: join(dir, `${name}-models`), trainCron } },
  });
}

/** A small trained model, saved and promoted the way `coolfleet model train --out DIR [--cooling liquid]` does. */
async function promoteTinyModel(modelDir: string, cooling: "air" | "liquid" = "air"): Promise<string> {
  await selectTfBackend();
  const liquid = cooling === "liquid";
  const sequences = simulatedSequences({ workloads: ["W3"], hosts: 1, seed: 5, durationS: 300, ...(liquid ? { profileIds: ["poweredge-r750-liquid"] } : {}) });
  const data = buildDataset(sequences, { stride: 3, ...(liquid ? { layout: LIQUID_LAYOUT } : {}) });
  const { model } = trainThermalMlp(data, data, { hidden: 8, epochs: 2, batchSize: 64, seed: 1 });
  const registry = new ModelRegistry(liquid ? liquidRegistryDir(modelDir) : modelDir, cooling);
  const version = registry.save(model, 1000, { trainedOn: "test", trainRows: 1, validationRows: 1, epochs: 2, bestEpoch: 2, trainingMs: 1, backend: "test" }, new Date().toISOString());
  registry.promote(version, "test model", new Date().toISOString());
  return version;
}

describe("controller with planner.policy mpc", () => {
  let service: ControllerService | undefined;
  afterAll(async () => {
    await service?.stop();
  });

  it("starts cold on the fallback (B1) and sends commands through the command path; serves a promoted version at once; a failed retraining keeps it", async () => {
    const config = mpcConfig("cold");
    const lines: Array<{ msg?: string; err?: string }> = [];
    const logger = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line) as { msg?: string; err?: string }) });
    service = await startControllerService({ config, clock: new SystemClock(), logger });
    expect(service.controller.policyId).toBe("mpc");
    expect(service.models?.servingVersion()).toBeUndefined();

    const host = new FakeHost("mpc-01", 1);
    const commands: string[] = [];
    const client = await mqtt.connectAsync(broker.url);
    client.on("message", (_topic, payload) => commands.push(payload.toString()));
    await client.subscribeAsync(hostTopic(host.hostId, "cmd"), { qos: 1 });
    await client.publishAsync(hostTopic(host.hostId, "state"), encode(host.birth(Date.now())), { qos: 1, retain: true });
    for (let i = 0; i < 5; i++) await client.publishAsync(hostTopic(host.hostId, "telemetry"), encode(host.telemetry(Date.now())), { qos: 1 });
    await waitFor("a command for the host", () => commands.length > 0, 15_000);
    const command = decodeCommand(commands[0] ?? "");
    expect(command.ok && command.value.host).toBe("mpc-01");
    expect(command.ok && typeof command.value.setpoints.fanPct).toBe("number");

    const version = await promoteTinyModel(config.planner.model.dir);
    service.models?.reload();
    expect(service.models?.servingVersion()).toBe(version);
    // Liquid-cooled hosts get their own model from <dir>/liquid, picked up the same way.
    expect(service.models?.servingLiquidVersion()).toBeUndefined();
    const liquidVersion = await promoteTinyModel(config.planner.model.dir, "liquid");
    service.models?.reload();
    expect(service.models?.servingLiquidVersion()).toBe(liquidVersion);
    expect(service.models?.servingVersion()).toBe(version);

    // The store holds a few seconds of one host: too little to train on, so the run fails and v0001 stays.
    await service.models?.retrain();
    expect(lines.find((l) => l.msg?.startsWith("mpc: retraining failed"))?.err).toMatch(/no training rows from store:.*needs more than 121 periods/);
    expect(service.models?.servingVersion()).toBe(version);
    expect(new ModelRegistry(config.planner.model.dir).currentPointer()?.version).toBe(version);
    await client.endAsync();
  }, 120_000);

  it("refuses a trainCron that is not a cron expression, naming the key", async () => {
    await expect(startModelService({ config: mpcConfig("badcron", "every night"), logger: silentLogger() })).rejects.toThrow(/planner\.model\.trainCron: "every night" is not a cron expression/);
  });
});
