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
import { decodeTelemetry, type Telemetry } from "../../src/protocol/index.js";
import { waitFor } from "../helpers/cli.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";
import { liquidAgentConfig } from "../helpers/liquid-agent-config.js";
import { startPtyPair, type PtyPair } from "../helpers/pty-pair.js";

/**
 * A simulated liquid-cooled PowerEdge (BMC over IPMI-over-LAN, CDU on Modbus RTU over a pty) with one agent and a
 * real mosquitto. The CDU's pump degrades, then its leak register reports a tray leak: the agent must raise
 * pump_failure and leak, boost the fans, and publish both alarms.
 */
const HOST_ID = "r750-faults";
const dir = scratchDir("coolfleet-liquid-faults-");
const clock = new SystemClock();
const device = new SimulatedLiquidPowerEdge({ hostId: HOST_ID, seed: 21, clock, password: "calvin" });
const LOAD = { cpuUtil: 0.6, diskMBps: 10, inletC: 25 };
let broker: MosquittoBroker;
let pty: PtyPair;
let agent: CoolingAgent;
let stepping: NodeJS.Timeout | undefined;
const telemetry: Telemetry[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  pty = await startPtyPair();
  const { bmcPort } = await device.start(pty.b);
  // Four simulated seconds per real second.
  stepping = setInterval(() => device.step(1, LOAD), 250);
  const base = liquidAgentConfig({ dir, hostId: HOST_ID, brokerUrl: broker.url, bmcPort, serialPort: pty.a });
  const config = parseAgentConfig(
    {
      ...base,
      // Generous targets: the pump sits at its minimum, a steady duty whose flow the agent learns in a few seconds.
      temperatures: [
        { match: "ipmi:Temp@3.*", role: "cpu", targetC: 90, criticalC: 97, required: true },
        { match: "ipmi:Exhaust Temp", role: "exhaust", targetC: 60, criticalC: 75 },
        { match: "cdu:coolant_supply_temp", role: "coolant", targetC: 50, criticalC: 60 },
      ],
      fans: { ...base.fans, downSlewPctPerS: 50 },
      pump: { ...base.pump, downSlewPctPerS: 50 },
      // Periods are 250 ms here: the settle window is scaled down with them.
      faults: { pump: { settleS: 2 }, fans: { settleS: 3 } },
    },
    "liquid faults config",
  );
  const observer = await mqtt.connectAsync(broker.url);
  observer.on("message", (topic, payload) => {
    if (!topic.endsWith("/telemetry")) return;
    const d = decodeTelemetry(payload);
    if (d.ok) telemetry.push(d.value);
  });
  await observer.subscribeAsync(`coolfleet/v1/${HOST_ID}/telemetry`, { qos: 1 });
  agent = await assembleAgent({ config, hostId: HOST_ID, clock, logger: silentLogger(), inventory: false });
  await agent.start();
}, 60_000);

afterAll(async () => {
  if (stepping) clearInterval(stepping);
  await agent?.stop().catch(() => undefined);
  await device.stop();
  await pty?.dispose();
  await broker?.dispose();
  rmSync(dir, { recursive: true, force: true });
});

const alarmsNow = () => agent.lastReport?.alarms ?? [];

describe("cooling faults on a simulated liquid-cooled PowerEdge", () => {
  it("raises pump_failure on the flow meter when the CDU's pump degrades, and puts the pump at full duty", async () => {
    await waitFor("pump at its minimum with the flow read", () => agent.lastReport?.outputs.pumpPct === 30 && agent.lastReport.readings.some((r) => r.id === "cdu:flow" && r.quality === "ok"), 20_000);
    // Long enough at a steady duty to learn the flow it gives.
    await new Promise((resolve) => setTimeout(resolve, 3500));
    expect(alarmsNow()).toEqual([]);
    const degradedAtTick = agent.counters.ticks;
    device.cdu.setPumpDegraded(0.4);
    await waitFor("pump_failure", () => alarmsNow().some((a) => a.kind === "pump_failure"), 10_000);
    const periods = agent.counters.ticks - degradedAtTick;
    expect(alarmsNow()).toEqual([{ kind: "pump_failure", source: "cdu:flow", sinceMs: expect.any(Number) as number }]);
    // Every temperature is under its target here, so the fans' boost holds where they were; the pump goes to full duty.
    await waitFor("pump at full duty", () => agent.lastReport?.outputs.pumpPct === 100, 5000);
    expect(agent.lastReport!.reasons.join("; ")).toMatch(/pump: .*fault floor|pump: .*slew/);
    await waitFor("published pump_failure", () => telemetry.some((t) => t.alarms?.some((a) => a.kind === "pump_failure")), 5000);
    console.info(`pump failure: raised ${periods} periods of 250 ms after the pump degraded`);
  });

  it("raises leak naming the CDU's flag, puts the fans at full speed and publishes it", async () => {
    device.cdu.setLeak("tray_leak", true);
    await waitFor("leak alarm", () => alarmsNow().some((a) => a.kind === "leak"), 5000);
    expect(alarmsNow().filter((a) => a.kind === "leak")).toEqual([{ kind: "leak", source: "cdu:tray_leak", sinceMs: expect.any(Number) as number }]);
    await waitFor("fans at full speed", () => agent.lastReport?.outputs.fanPct === 100, 5000);
    await waitFor("published leak", () => telemetry.some((t) => t.alarms?.some((a) => a.kind === "leak" && a.source === "cdu:tray_leak")), 5000);
  });
});
