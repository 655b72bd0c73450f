import { rmSync } from "node:fs";
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
import { liquidAgentConfig } from "../helpers/liquid-agent-config.js";
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

  // No hwmon here: every sensor and actuator of this host is on IPMI or Modbus. Zones: the chassis fans follow the
  // exhaust air only; the pump follows the CPUs (on cold plates) and the coolant.
  const base = liquidAgentConfig({ dir, hostId: HOST_ID, brokerUrl: broker.url, bmcPort, serialPort: pty.a });
  const config = parseAgentConfig(
    { ...base, fans: { ...base.fans, downSlewPctPerS: 50 }, pump: { ...base.pump, downSlewPctPerS: 50 } },
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
    // Each group announces the roles it cools, so the controller's baselines drive it from the same sensors.
    expect(birth.online && birth.capabilities).toMatchObject({
      fans: { tier: "full", channels: 6, roles: ["exhaust"] },
      pump: { tier: "full", channels: 1, roles: ["cpu", "coolant"] },
    });
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
