import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { SimFleet } from "../../firmware-sim/index.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";
import { ManualClock } from "../../src/core/clock.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { decodeHostState, type HostState } from "../../src/protocol/index.js";
import { runCli, waitFor } from "../helpers/cli.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";

let broker: MosquittoBroker;
let dir: string;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = scratchDir("coolfleet-agent-proc-");
});
afterAll(async () => {
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function enableValues(chipDir: string, channels: number[]): number[] {
  return channels.map((c) => Number(readFileSync(join(chipDir, `pwm${c}_enable`), "utf8")));
}

describe("coolfleet agent as a process", () => {
  it.each(["SIGTERM", "SIGINT"] as const)("hands every fan back to firmware automatic and goes offline on %s", async (signal) => {
    const fleet = new SimFleet({ hosts: 1, root: join(dir, signal), seed: 3, clock: new ManualClock() });
    fleet.stepAll(1);
    const device = fleet.host(fleet.hostIds[0]!);
    const hostId = `proc-${signal.toLowerCase()}`;
    const config = simAgentConfig("poweredge-r740-air", { hostId, root: device.root, brokerUrl: broker.url, periodMs: 200 });
    const configFile = join(dir, `${signal}.yaml`);
    writeFileSync(configFile, stringify(config));
    const chipDir = device.chips().find((c) => c.name === "nct6798")!.hwmonDir;
    const channels = config.fans.channels;
    expect(enableValues(chipDir, channels)).toEqual(channels.map(() => 2));

    const states: HostState[] = [];
    const observer = await mqtt.connectAsync(broker.url);
    observer.on("message", (_t, payload) => {
      const d = decodeHostState(payload);
      if (d.ok) states.push(d.value);
    });
    await observer.subscribeAsync(`coolfleet/v1/${hostId}/state`, { qos: 1 });

    const agent = runCli(["agent", "--config", configFile, "--log-level", "warn"]);
    try {
      await waitFor("manual fan control", () => enableValues(chipDir, channels).every((v) => v === 1));
      await waitFor("birth", () => states.some((s) => s.online));
      agent.child.kill(signal);
      const exit = await agent.exited;
      expect(exit, agent.output()).toEqual({ code: 0, signal: null });
      expect(enableValues(chipDir, channels)).toEqual(channels.map(() => 2));
      await waitFor("offline state", () => states.some((s) => !s.online));
      expect(states.at(-1)).toMatchObject({ online: false, reason: "shutdown" });
    } finally {
      agent.child.kill("SIGKILL");
      await observer.endAsync();
    }
  });

  it("refuses a config whose required sensor does not exist, naming it and the sensors it found", async () => {
    const fleet = new SimFleet({ hosts: 1, root: join(dir, "bad"), seed: 3, clock: new ManualClock() });
    fleet.stepAll(1);
    const device = fleet.host(fleet.hostIds[0]!);
    const config = simAgentConfig("poweredge-r740-air", { hostId: "bad-1", root: device.root, brokerUrl: broker.url });
    const configFile = join(dir, "bad.yaml");
    writeFileSync(configFile, stringify({ ...config, temperatures: [{ match: "k10temp:Tctl", role: "cpu", targetC: 80, criticalC: 90, required: true }] }));
    const agent = runCli(["agent", "--config", configFile]);
    const exit = await agent.exited;
    expect(exit.code).toBe(2);
    expect(agent.output()).toMatch(/"k10temp:Tctl" match no sensor on this host; sensors found: .*coretemp\.0:Package id 0/);
  });

  it("reports a broken config with the file and key, and exits 2", async () => {
    const configFile = join(dir, "broken.yaml");
    writeFileSync(configFile, "version: 1\ntemperatures: []\nfans: { chip: nct6798, channels: [1] }\n");
    const agent = runCli(["agent", "--config", configFile]);
    const exit = await agent.exited;
    expect(exit.code).toBe(2);
    expect(agent.output()).toContain(`${configFile}: invalid agent config`);
    expect(agent.output()).toContain("temperatures:");
  });
});
