import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SimulatedLiquidPowerEdge } from "../../firmware-sim/index.js";
import { assembleAgent } from "../../src/agent/assemble.js";
import type { CoolingAgent } from "../../src/agent/agent.js";
import { parseAgentConfig } from "../../src/config/load.js";
import { SystemClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { decodeHostState, decodeTelemetry, type HostState, type Telemetry } from "../../src/protocol/index.js";
import { waitFor } from "../helpers/cli.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";
import { startPtyPair, type PtyPair } from "../helpers/pty-pair.js";

/**
 * End to end: a simulated liquid-cooled PowerEdge whose fans sit behind a BMC (the real ipmitool over RMCP+ on
 * loopback) and whose pump sits behind a coolant unit (Modbus RTU over a pty), controlled by one agent through
 * both buses at once, publishing to mosquitto, with the fans and the pump in zones of their own.
 */
const HOST_ID = "r750-e2e";
const dir = scratchDir("coolfleet-e2e-liquid-");
let broker: MosquittoBroker;
let pty: PtyPair;
const clock = new SystemClock();
const device = new SimulatedLiquidPowerEdge({ hostId: HOST_ID, seed: 12, clock, password: "calvin" });
let agent: CoolingAgent;
let stepping: NodeJS.Timeout | undefined;
const telemetry: Telemetry[] = [];
const states: HostState[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  pty = await startPtyPair();
  // Four simulated seconds per real second at full load, so the CPUs heat within the test.
  for (let i = 0; i < 20; i++) device.step(1, { cpuUtil: 1, diskMBps: 10, inletC: 25 });
  const { bmcPort } = await device.start(pty.b);
  stepping = setInterval(() => device.step(1, { cpuUtil: 1, diskMBps: 10, inletC: 25 }), 250);

  const passwordFile = join(dir, "bmc-password");
  writeFileSync(passwordFile, "calvin\n", { mode: 0o600 });
  mkdirSync(join(dir, "root"), { recursive: true });
  const config = parseAgentConfig(
    {
      version: 1,
      hostId: HOST_ID,
      // No hwmon here: every sensor and actuator of this host is on IPMI or Modbus.
      root: join(dir, "root"),
      periodMs: 250,
      broker: { url: broker.url },
      ipmi: { interface: "lanplus", host: "127.0.0.1", port: bmcPort, username: "root", passwordFile, sweepPeriodMs: 1000, timeoutMs: 2000 },
      modbus: [{ name: "cdu", port: pty.a, map: "orv3-rpu", pollMs: 250, timeoutMs: 250 }],
      temperatures: [
        { match: "ipmi:Temp@3.*", role: "cpu", targetC: 55, criticalC: 95, required: true },
        { match: "ipmi:Exhaust Temp", role: "exhaust", targetC: 60, criticalC: 75 },
        { match: "cdu:coolant_supply_temp", role: "coolant", targetC: 45, criticalC: 55 },
      ],
      // Zones: the chassis fans follow the exhaust air only; the pump follows the CPUs (on cold plates) and the coolant.
      fans: { driver: "ipmi", channels: [1, 2, 3, 4, 5, 6], minPct: 20, downSlewPctPerS: 50, roles: ["exhaust"], sensors: [{ match: "ipmi:Exhaust Temp" }] },
      pump: { driver: "modbus", modbusDevice: "cdu", channels: [1], minPct: 30, downSlewPctPerS: 50, roles: ["cpu", "coolant"] },
    },
    "e2e config",
  );
  const observer = await mqtt.connectAsync(broker.url);
  observer.on("message", (topic, payload) => {
    if (topic.endsWith("/telemetry")) {
      const d = decodeTelemetry(payload);
      if (d.ok) telemetry.push(d.value);
    } else {
      const d = decodeHostState(payload);
      if (d.ok) states.push(d.value);
    }
  });
  await observer.subscribeAsync(`coolfleet/v1/${HOST_ID}/#`, { qos: 1 });
  agent = await assembleAgent({ config, hostId: HOST_ID, clock, logger: silentLogger(), inventory: false });
  await agent.start();
}, 60_000);

afterAll(async () => {
  if (stepping) clearInterval(stepping);
  await agent?.stop().catch(() => undefined);
  await device.stop();
  await pty.dispose();
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("one agent, IPMI fans and a Modbus pump on a simulated liquid-cooled PowerEdge", () => {
  it("announces both buses' sensors and full control of both actuator groups", async () => {
    await waitFor("birth", () => states.some((s) => s.online));
    const birth = states.find((s) => s.online)!;
    expect(birth.online && birth.capabilities).toMatchObject({ fans: { tier: "full", channels: 6 }, pump: { tier: "full", channels: 1 } });
    const ids = birth.online ? birth.sensors.map((s) => s.id) : [];
    expect(ids).toEqual(expect.arrayContaining(["ipmi:Temp@3.1", "ipmi:Temp@3.2", "ipmi:Exhaust Temp", "cdu:flow", "cdu:coolant_supply_temp"]));
  });

  it("drives the BMC's fans and the CDU's pump, each from its own zone", async () => {
    // Both outputs start at full speed and come down to what their zones ask for.
    await waitFor(
      "outputs settled",
      () => {
        const last = telemetry.at(-1);
        // The pump's PID integrates the CPUs' excess over their target until the pump works above its minimum.
        return last !== undefined && last.mode === "local" && last.outputs.fanPct === 20 && (last.outputs.pumpPct ?? 0) > 31;
      },
      30_000,
    );
    const last = telemetry.at(-1)!;
    const reading = (id: string) => last.readings.find((r) => r.id === id);
    expect(reading("ipmi:Temp@3.1")).toMatchObject({ quality: "ok" });
    expect(reading("cdu:flow")).toMatchObject({ kind: "flow", quality: "ok" });
    expect(last.tiers).toEqual({ fans: "full", pump: "full" });
    // The exhaust zone is cool, so the fans sit at their minimum, while the hot CPUs keep the pump working.
    const cpuC = Math.max(reading("ipmi:Temp@3.1")!.value!, reading("ipmi:Temp@3.2")!.value!);
    expect(cpuC).toBeGreaterThan(55);
    expect(last.outputs.pumpPct!).toBeGreaterThan(30);
    expect(reading("ipmi:Exhaust Temp")!.value!).toBeLessThan(60);
    // What the agent published is what the hardware got: the BMC's fans and the CDU's pump duty.
    await waitFor("BMC fan command", () => device.bmc.mode() === "manual" && device.bmc.fanCommandPct().every((p) => p === 20));
    await waitFor("CDU pump duty", () => Math.abs(device.cdu.firmware.dutySetpointPct - telemetry.at(-1)!.outputs.pumpPct!) <= 1, 5000);
    expect(device.cdu.mode()).toMatch(/manual/i);
  });

  it("hands the fans back to the BMC and the pump back to the CDU's automatic mode on stop", async () => {
    await agent.stop();
    expect(device.bmc.mode()).toBe("auto");
    expect(device.cdu.mode()).not.toMatch(/manual/i);
  });
});
