import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { SensorFault } from "../../firmware-sim/index.js";
import type { Telemetry } from "../../src/protocol/index.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";
import { AgentFaultRun } from "./agent-fault-run.js";
import { FaultRecorder } from "./fault-table.js";
import { recordAndAssert, secondsBetween } from "./targets.js";

/**
 * Sensor faults on the one required CPU sensor of a simulated PowerEdge R740 (hwmon), read by the real agent and
 * published to a real mosquitto, while a command feed plays the controller (fresh, replayed and stale commands).
 * Detection: the first telemetry that flags the reading and shows the host in failsafe. Recovery: the first
 * telemetry after the fault ends with the reading ok and the host back under local or remote control.
 */
const SENSOR = "coretemp.0:Package id 0";
const recorder = new FaultRecorder(import.meta.filename);
let broker: MosquittoBroker;
const runs: AgentFaultRun[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  recorder.print();
  await broker.dispose();
});
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop();
});

async function run(workload: "W1" | "W4" = "W4"): Promise<AgentFaultRun> {
  const r = new AgentFaultRun({ brokerUrl: broker.url, workload, seed: 11 });
  runs.push(r);
  await r.start({ feedEvery: 2 });
  await r.period(6);
  return r;
}

function reading(t: Telemetry) {
  return t.readings.find((x) => x.id === SENSOR);
}

const flagged = (t: Telemetry) => reading(t)?.quality !== "ok" && t.mode === "failsafe";
const healthy = (t: Telemetry) => reading(t)?.quality === "ok" && (t.mode === "local" || t.mode === "remote");

interface Case {
  name: string;
  fault: SensorFault;
  /** Periods the fault stays on before it is cleared (a spike clears itself). */
  holdPeriods: number;
  quality: string;
  workload?: "W1" | "W4";
}

const CASES: Case[] = [
  { name: "sensor spike (+45 °C, one read)", fault: { kind: "spike", offset: 45, reports: 1 }, holdPeriods: 1, quality: "rate" },
  { name: "sensor sentinel (−40 °C)", fault: { kind: "sentinel" }, holdPeriods: 5, quality: "out_of_range" },
  { name: "sensor sentinel (129 °C)", fault: { kind: "sentinel", value: 129 }, holdPeriods: 5, quality: "out_of_range" },
  { name: "sensor NaN", fault: { kind: "sentinel", value: Number.NaN }, holdPeriods: 5, quality: "missing" },
  { name: "sensor dropped out (ENOENT)", fault: { kind: "dropout" }, holdPeriods: 5, quality: "missing" },
];

describe("sensor faults", () => {
  for (const c of CASES) {
    it(`${c.name}: flagged and in failsafe within one control period, back when it clears`, async () => {
      const r = await run(c.workload);
      const injectedAt = r.trueMs();
      r.h.device.injectSensorFault(SENSOR, c.fault);
      await r.period(c.holdPeriods);
      // The spike clears itself after its one report; the others are cleared here.
      if (c.fault.kind !== "spike") r.h.device.clearSensorFault(SENSOR);
      const clearedAt = r.trueMs();
      await r.period(8);
      const lost = await r.lost();
      const stale = await r.staleApplied();
      const detected = r.firstTelemetry(injectedAt, flagged);
      const recovered = r.firstTelemetry(clearedAt, healthy);
      recordAndAssert(
        recorder,
        {
          family: "sensor",
          fault: c.name,
          telemetryLost: lost,
          overLimitS: r.meter.overLimitS,
          staleCommandsApplied: stale.count,
          detectS: secondsBetween(injectedAt, detected?.trueMs),
          detectPeriods: detected ? Math.round((detected.trueMs - injectedAt) / r.periodMs) : null,
          recoverS: secondsBetween(clearedAt, recovered?.trueMs),
          notes: [detected ? `quality ${reading(detected.t)?.quality}, fans ${detected.t.outputs.fanPct} %` : "not detected", r.feedSummary(), ...stale.why].join("; "),
        },
        { detectPeriodsMax: 1, recoverSMax: 2 * (r.periodMs / 1000) },
      );
      expect(detected && reading(detected.t)?.quality).toBe(c.quality);
    });
  }

  it("sensor stuck: flagged once its peers move, in failsafe that period", async () => {
    // W1 steps between idle and full load, so the other cores move while the frozen one does not.
    const r = await run("W1");
    const stuckAfterS = r.h.config.plausibility.stuckAfterS;
    const injectedAt = r.trueMs();
    r.h.device.injectSensorFault(SENSOR, { kind: "stuck" });
    let detected: ReturnType<AgentFaultRun["firstTelemetry"]>;
    for (let i = 0; i < stuckAfterS + 90 && !detected; i += 5) {
      await r.period(5);
      await r.h.until("telemetry", () => r.h.received.telemetry.length >= r.h.agent.counters.ticks).catch(() => undefined);
      detected = r.firstTelemetry(injectedAt, flagged);
    }
    r.h.device.clearSensorFault(SENSOR);
    const clearedAt = r.trueMs();
    await r.period(10);
    const lost = await r.lost();
    const stale = await r.staleApplied();
    const recovered = r.firstTelemetry(clearedAt, healthy);
    // The stuck rule needs stuckAfterS of a frozen value while its peers move: detection is measured from when
    // that evidence is complete (stuckAfterS after the freeze, or the first peer move after it).
    const evidenceAt = injectedAt + stuckAfterS * 1000;
    const detectS = detected ? secondsBetween(injectedAt, detected.trueMs) : null;
    recordAndAssert(
      recorder,
      {
        family: "sensor",
        fault: "sensor stuck (frozen value)",
        telemetryLost: lost,
        overLimitS: r.meter.overLimitS,
        staleCommandsApplied: stale.count,
        detectS,
        detectPeriods: detected ? Math.max(0, Math.round((detected.trueMs - evidenceAt) / r.periodMs)) : null,
        recoverS: secondsBetween(clearedAt, recovered?.trueMs),
        notes: [`periods counted after the stuck rule's ${stuckAfterS} s evidence window`, detected ? `quality ${reading(detected.t)?.quality}` : "not detected", r.feedSummary(), ...stale.why].join("; "),
      },
      { detectPeriodsMax: 1, recoverSMax: 2 * (r.periodMs / 1000) },
    );
  });
});
