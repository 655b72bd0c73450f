import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { SimFleet } from "../../firmware-sim/index.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";
import { parseControllerConfig } from "../../src/config/load.js";
import { ManualClock, SystemClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { FleetController } from "../../src/controller/controller.js";
import { SqliteTelemetryStore } from "../../src/controller/store/index.js";
import { runCli, waitFor } from "../helpers/cli.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";

let broker: MosquittoBroker;
let dir: string;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = scratchDir("coolfleet-kill-");
});
afterAll(async () => {
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("an agent killed with SIGKILL", () => {
  it("puts its host in Error through the broker's Last Will", async () => {
    const fleet = new SimFleet({ hosts: 1, root: join(dir, "hosts"), seed: 9, clock: new ManualClock() });
    fleet.stepAll(1);
    const device = fleet.host(fleet.hostIds[0]!);
    const hostId = "killed-1";
    const configFile = join(dir, "agent.yaml");
    writeFileSync(configFile, stringify(simAgentConfig(device.profile.id, { hostId, root: device.root, brokerUrl: broker.url, periodMs: 200 })));

    const store = new SqliteTelemetryStore(":memory:");
    const config = parseControllerConfig({ version: 1, broker: { url: broker.url, clientId: `kill-test-${process.pid}` } }, "test");
    const controller = new FleetController({ config, clock: new SystemClock(), logger: silentLogger(), store });
    await controller.start();
    const agent = runCli(["agent", "--config", configFile, "--log-level", "warn"]);
    try {
      await waitFor("host running", () => controller.host(hostId)?.view.state === "Running");
      agent.child.kill("SIGKILL");
      await agent.exited;
      await waitFor("host in Error", () => controller.host(hostId)?.view.state === "Error");
      const view = controller.host(hostId)!.view;
      expect(view.online).toBe(false);
      const last = (await store.transitions(hostId)).at(-1);
      expect(last).toMatchObject({ from: "Running", to: "Error" });
      expect(last?.cause).toMatch(/link|lost|offline/i);
    } finally {
      agent.child.kill("SIGKILL");
      await controller.stop();
      await store.close();
    }
  });
});
