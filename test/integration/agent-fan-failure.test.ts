import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Workload } from "../../firmware-sim/index.js";
import { AgentHarness } from "../helpers/agent-harness.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";

/**
 * Closed loop: the real agent (hwmon bindings, real broker) on a simulated air-cooled PowerEdge at full load and
 * warm inlet. One fan seizes; the agent must name it within a few periods and keep the CPUs under their critical
 * temperature by boosting the others.
 */
const HEAVY_LOAD: Workload = { name: "80 % load, 27 °C inlet", durationS: 3600, at: () => ({ cpuUtil: 0.8, diskMBps: 20, inletC: 27 }) };
const SETTLE_PERIODS = 300;
const FAILED_PERIODS = 120;

let broker: MosquittoBroker;
let h: AgentHarness;

beforeAll(async () => {
  broker = await startMosquitto();
  h = new AgentHarness({ brokerUrl: broker.url, profile: "poweredge-r740-air", workload: HEAVY_LOAD, seed: 5 });
  await h.start();
  await h.until("birth", () => h.received.states.some((s) => s.online));
});
afterAll(async () => {
  await h?.stop().catch(() => undefined);
  h?.dispose();
  await broker?.dispose();
});

describe("a fan seizes under heavy load", () => {
  it("raises fan_failure naming the fan within five periods and boosts the others so the CPUs stay under critical", async () => {
    const criticalC = h.config.temperatures.find((t) => t.required)!.criticalC;
    // From idle, local control overshoots while the heatsinks warm: the failure comes once the host has settled.
    let maxDieC = -Infinity;
    const dieC = () => Math.max(...h.device.snapshot().sockets.map((s) => s.dieC));
    for (let p = 0; p < SETTLE_PERIODS; p++) {
      await h.period();
    }
    expect(h.agent.lastReport?.alarms).toEqual([]);
    const fanPctBefore = h.agent.lastReport!.outputs.fanPct;

    h.device.failFan("nct6798:fan1");
    let detectedAfter: number | undefined;
    for (let p = 1; p <= FAILED_PERIODS; p++) {
      await h.period();
      maxDieC = Math.max(maxDieC, dieC());
      if (detectedAfter === undefined && h.agent.lastReport?.alarms?.some((a) => a.kind === "fan_failure")) detectedAfter = p;
    }

    expect(detectedAfter).toBeDefined();
    expect(detectedAfter!).toBeLessThanOrEqual(5);
    expect(h.agent.lastReport!.alarms).toEqual([{ kind: "fan_failure", source: "nct6798:fan1", sinceMs: expect.any(Number) as number }]);
    expect(h.agent.lastReport!.outputs.fanPct).toBeGreaterThan(fanPctBefore);
    expect(maxDieC).toBeLessThan(criticalC);
    // The figures, for the test log.
    console.info(`fan failure: detected after ${detectedAfter} periods; fans ${fanPctBefore.toFixed(1)} % → ${h.agent.lastReport!.outputs.fanPct.toFixed(1)} %; max die ${maxDieC.toFixed(1)} °C (critical ${criticalC} °C)`);
  });

  it("clears the alarm some periods after the fan is replaced", async () => {
    h.device.restoreFan("nct6798:fan1");
    await h.period(15);
    expect(h.agent.lastReport!.alarms).toEqual([]);
  });
});
