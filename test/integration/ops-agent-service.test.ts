import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { SimFleet } from "../../firmware-sim/index.js";
import type { SimulatedHostDevice } from "../../firmware-sim/devices/simulated-host.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";
import { ManualClock } from "../../src/core/clock.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { FIRMWARE_MODES_FILE } from "../../src/ops/firmware-modes.js";
import { waitFor } from "../helpers/cli.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";
import { listenNotifySocket, runCliWithEnv as runAgentCli } from "./ops-service-helpers.js";

/**
 * The real `coolfleet agent` process against a simulated host, with NOTIFY_SOCKET pointing at a unix datagram
 * socket this test listens on, as systemd's would be; and `--restore-firmware` after the agent was SIGKILLed.
 */

let broker: MosquittoBroker;
let dir: string;

beforeAll(async () => {
  broker = await startMosquitto();
  dir = scratchDir("coolfleet-ops-agent-");
});
afterAll(async () => {
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

interface SimHost {
  device: SimulatedHostDevice;
  fleet: SimFleet;
  configFile: string;
  chipDir: string;
  channels: number[];
  runtimeDir: string;
}

function simHost(name: string): SimHost {
  const fleet = new SimFleet({ hosts: 1, root: join(dir, name), seed: 4, clock: new ManualClock() });
  fleet.stepAll(1);
  const device = fleet.host(fleet.hostIds[0]!);
  const config = simAgentConfig("poweredge-r740-air", { hostId: `ops-${name}`, root: device.root, brokerUrl: broker.url, periodMs: 200 });
  const configFile = join(dir, `${name}.yaml`);
  writeFileSync(configFile, stringify(config));
  const runtimeDir = join(dir, `${name}-run`);
  mkdirSync(runtimeDir);
  return { device, fleet, configFile, chipDir: device.chips().find((c) => c.name === "nct6798")!.hwmonDir, channels: config.fans.channels, runtimeDir };
}

function enableValues(host: SimHost): string[] {
  return host.channels.map((c) => readFileSync(join(host.chipDir, `pwm${c}_enable`), "utf8").trim());
}

/** Steps the simulated hardware so its drivers pick up what was written, then asks it who drives each fan. */
function fanModes(host: SimHost): string[] {
  host.fleet.stepAll(0.5);
  return host.device.fanControl().map((c) => c.mode);
}

describe("coolfleet agent under systemd (ops)", () => {
  it("sends READY=1 once it drives the fans, WATCHDOG=1 per completed period, STOPPING=1 on SIGTERM", async () => {
    const host = simHost("notify");
    const socket = await listenNotifySocket(join(dir, "notify.sock"));
    // WatchdogSec=0.6 s: a ping at most every 200 ms, once per 200 ms control period.
    const agent = runAgentCli(["agent", "--config", host.configFile, "--log-level", "warn"], {
      NOTIFY_SOCKET: socket.path,
      WATCHDOG_USEC: "600000",
      RUNTIME_DIRECTORY: host.runtimeDir,
    });
    try {
      await waitFor("READY=1", () => socket.messages.some((m) => m.split("\n").includes("READY=1")), 15_000);
      // READY comes only after takeControl: every fan is in manual mode by then.
      expect(enableValues(host)).toEqual(host.channels.map(() => "1"));
      const ready = socket.messages.find((m) => m.includes("READY=1"))!;
      expect(ready).toMatch(/STATUS=controlling ops-notify: fans \(hwmon chip nct6798 channels \[1, 2, 3, 4, 5, 6\]\)/);

      await waitFor("three WATCHDOG=1", () => socket.messages.filter((m) => m.split("\n").includes("WATCHDOG=1")).length >= 3, 15_000);
      const firstWatchdog = socket.messages.findIndex((m) => m.includes("WATCHDOG=1"));
      expect(firstWatchdog).toBeGreaterThan(socket.messages.indexOf(ready));
      expect(socket.messages[firstWatchdog]).toMatch(/STATUS=period \d+: (local|remote|override|failsafe)[^\n]*, fans \d+ %/);

      agent.child.kill("SIGTERM");
      const exit = await agent.exited;
      expect(exit, agent.output()).toEqual({ code: 0, signal: null });
      await waitFor("STOPPING=1", () => socket.messages.some((m) => m.split("\n").includes("STOPPING=1")));
      expect(enableValues(host)).toEqual(host.channels.map(() => "2"));
      console.log(`sd_notify messages received:\n${socket.messages.map((m) => `  ${m.replace(/\n/g, " | ")}`).slice(0, 6).join("\n")}\n  … ${socket.messages.length} in all`);
    } finally {
      agent.child.kill("SIGKILL");
      socket.close();
    }
  });

  it("sends nothing and runs normally without NOTIFY_SOCKET", async () => {
    const host = simHost("plain");
    const agent = runAgentCli(["agent", "--config", host.configFile, "--log-level", "warn"], { NOTIFY_SOCKET: "" });
    try {
      await waitFor("manual fan control", () => enableValues(host).every((v) => v === "1"));
      agent.child.kill("SIGTERM");
      expect(await agent.exited, agent.output()).toEqual({ code: 0, signal: null });
      expect(agent.output()).not.toMatch(/systemd-notify/);
    } finally {
      agent.child.kill("SIGKILL");
    }
  });

  it("--restore-firmware hands the fans back to firmware automatic after the agent was SIGKILLed", async () => {
    const host = simHost("killed");
    const env = { RUNTIME_DIRECTORY: host.runtimeDir };
    const agent = runAgentCli(["agent", "--config", host.configFile, "--log-level", "warn"], env);
    await waitFor("manual fan control", () => enableValues(host).every((v) => v === "1"));
    agent.child.kill("SIGKILL");
    await agent.exited;
    // What a crash leaves behind: fans in manual mode, at whatever duty the dead agent last wrote.
    expect(enableValues(host)).toEqual(host.channels.map(() => "1"));
    expect(fanModes(host)).toEqual(host.channels.map(() => "manual"));

    const restore = runAgentCli(["agent", "--config", host.configFile, "--restore-firmware"], env);
    expect(await restore.exited, restore.output()).toEqual({ code: 0, signal: null });
    expect(enableValues(host)).toEqual(host.channels.map(() => "2"));
    expect(fanModes(host)).toEqual(host.channels.map(() => "firmware"));
    expect(restore.output()).toMatch(/pwm1_enable: 1 → 2 \(recorded\)/);
  });

  it("--restore-firmware puts back the automatic mode the firmware had (Smart Fan IV = 5), not just 2", async () => {
    const host = simHost("smartfan");
    for (const c of host.channels) writeFileSync(join(host.chipDir, `pwm${c}_enable`), "5");
    expect(fanModes(host)).toEqual(host.channels.map(() => "firmware"));
    const env = { RUNTIME_DIRECTORY: host.runtimeDir };
    const agent = runAgentCli(["agent", "--config", host.configFile, "--log-level", "warn"], env);
    await waitFor("manual fan control", () => enableValues(host).every((v) => v === "1"));
    agent.child.kill("SIGKILL");
    await agent.exited;
    const recorded = JSON.parse(readFileSync(join(host.runtimeDir, FIRMWARE_MODES_FILE), "utf8")) as { channels: Array<{ enable: string }> };
    expect(recorded.channels.map((c) => c.enable)).toEqual(host.channels.map(() => "5"));

    const restore = runAgentCli(["agent", "--config", host.configFile, "--restore-firmware"], env);
    expect(await restore.exited, restore.output()).toEqual({ code: 0, signal: null });
    expect(enableValues(host)).toEqual(host.channels.map(() => "5"));
    expect(fanModes(host)).toEqual(host.channels.map(() => "firmware"));
  });

  it("--restore-firmware is safe with no agent running and nothing recorded: automatic default 2, exit 0", async () => {
    const host = simHost("idle");
    for (const c of host.channels) writeFileSync(join(host.chipDir, `pwm${c}_enable`), "1");
    const restore = runAgentCli(["agent", "--config", host.configFile, "--restore-firmware"], { RUNTIME_DIRECTORY: "" });
    expect(await restore.exited, restore.output()).toEqual({ code: 0, signal: null });
    expect(enableValues(host)).toEqual(host.channels.map(() => "2"));
    expect(restore.output()).toMatch(/pwm1_enable: 1 → 2 \(automatic-default\)/);
    // Twice in a row changes nothing and still succeeds.
    const again = runAgentCli(["agent", "--config", host.configFile, "--restore-firmware"], { RUNTIME_DIRECTORY: "" });
    expect((await again.exited).code).toBe(0);
  });

  it("--restore-firmware still hands back the recorded channels when the config was broken while the agent ran", async () => {
    const host = simHost("edited");
    const env = { RUNTIME_DIRECTORY: host.runtimeDir };
    const agent = runAgentCli(["agent", "--config", host.configFile, "--log-level", "warn"], env);
    await waitFor("manual fan control", () => enableValues(host).every((v) => v === "1"));
    agent.child.kill("SIGKILL");
    await agent.exited;
    writeFileSync(host.configFile, "version: 1\nfans: { chip: nct6798 }\n");

    const restore = runAgentCli(["agent", "--config", host.configFile, "--restore-firmware"], env);
    const exit = await restore.exited;
    // Exit 1 so the unit shows the broken config, but the fans are back with the firmware all the same.
    expect(exit.code).toBe(1);
    expect(restore.output()).toContain(`${host.configFile}: invalid agent config`);
    expect(restore.output()).toMatch(/handing back the 6 channel\(s\) recorded in/);
    expect(enableValues(host)).toEqual(host.channels.map(() => "2"));
  });
});
