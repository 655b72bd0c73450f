import { afterAll, afterEach, beforeAll, describe, it } from "vitest";
import type { AlarmKind, Telemetry } from "../../src/protocol/index.js";
import { waitFor } from "../helpers/cli.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";
import { AgentFaultRun } from "./agent-fault-run.js";
import { FaultRecorder } from "./fault-table.js";
import { ControllerStandIn, LiquidRig } from "./liquid-rig.js";
import { recordAndAssert, secondsBetween } from "./targets.js";

/**
 * Cooling faults the agent must detect and survive on its own: a dead fan (hwmon host, ManualClock), a failed
 * pump and a leak flag (the CDU of a simulated liquid-cooled PowerEdge on Modbus, real time). Detection: the first
 * telemetry carrying the alarm; recovery: the first telemetry without it after the fault is gone. The detection
 * bound is the alarm's own debounce (raiseAfterPeriods on the median of three reads) plus the sensor's lag.
 */
const recorder = new FaultRecorder(import.meta.filename);
let broker: MosquittoBroker;
const runs: AgentFaultRun[] = [];
let rig: LiquidRig | undefined;

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  recorder.print();
  await rig?.stop();
  await broker.dispose();
});
afterEach(async () => {
  for (const r of runs.splice(0)) await r.stop();
});

const hasAlarm = (kind: AlarmKind) => (t: Telemetry) => (t.alarms ?? []).some((a) => a.kind === kind);
const alarmsOf = (t: Telemetry | undefined) => (t?.alarms ?? []).map((a) => `${a.kind} ${a.source}`).join(", ") || "none";

async function liquidRig(): Promise<LiquidRig> {
  if (!rig) {
    rig = new LiquidRig("cooling-faults", broker.url);
    await rig.start();
  }
  return rig;
}

describe("cooling faults", () => {
  it("fan failure: one of six fans dies; fan_failure raised, the others boosted, no temperature over its limit", async () => {
    const r = new AgentFaultRun({ brokerUrl: broker.url, workload: "W4", seed: 41 });
    runs.push(r);
    await r.start({ feedEvery: 2 });
    // Long enough for the detector to learn each command's RPM (settleS) before the fault.
    await r.period(40);
    const raiseAfter = r.h.config.faults.fans.raiseAfterPeriods;
    const injectedAt = r.trueMs();
    r.h.device.setFanDead(2, true);
    await r.period(30);
    r.h.device.setFanDead(2, false);
    const clearedAt = r.trueMs();
    await r.period(r.h.config.faults.fans.clearAfterPeriods + 20);
    const lost = await r.lost();
    const stale = await r.staleApplied();
    const detected = r.firstTelemetry(injectedAt, hasAlarm("fan_failure"));
    const recovered = r.firstTelemetry(clearedAt, (t) => !hasAlarm("fan_failure")(t));
    recordAndAssert(
      recorder,
      {
        family: "cooling",
        fault: "fan failure (1 of 6 dead)",
        telemetryLost: lost,
        overLimitS: r.meter.overLimitS,
        staleCommandsApplied: stale.count,
        detectS: secondsBetween(injectedAt, detected?.trueMs),
        detectPeriods: detected ? Math.round((detected.trueMs - injectedAt) / r.periodMs) : null,
        recoverS: secondsBetween(clearedAt, recovered?.trueMs),
        notes: [`alarms: ${alarmsOf(detected?.t)}`, `fans ${detected?.t.outputs.fanPct ?? "?"} % when raised`, `hottest die ${r.meter.maxDieC.toFixed(1)} °C`, r.feedSummary(), ...stale.why].join("; "),
      },
      { detectPeriodsMax: raiseAfter + 3, recoverSMax: ((r.h.config.faults.fans.clearAfterPeriods + 3) * r.periodMs) / 1000 },
    );
  });

  for (const c of [
    {
      fault: "pump failure (CDU pump stops)",
      kind: "pump_failure" as const,
      inject: (x: LiquidRig) => x.device.cdu.setPumpDegraded(0),
      clear: (x: LiquidRig) => x.device.cdu.setPumpDegraded(1),
      debounce: (x: LiquidRig) => x.config.faults.pump.raiseAfterPeriods + 3,
      clearPeriods: (x: LiquidRig) => x.config.faults.pump.clearAfterPeriods,
    },
    {
      fault: "leak flag (CDU tray_leak)",
      kind: "leak" as const,
      inject: (x: LiquidRig) => x.device.cdu.setLeak("tray_leak", true),
      clear: (x: LiquidRig) => x.device.cdu.setLeak("tray_leak", false),
      // Raised on the first read with the flag set: one Modbus poll, one period to publish it.
      debounce: () => 2,
      clearPeriods: (x: LiquidRig) => x.config.faults.leakClearAfterPeriods,
    },
  ]) {
    it(`${c.fault}: ${c.kind} raised, cooling held, cleared when it is gone`, async () => {
      const x = await liquidRig();
      // A controller holds the pump at a steady duty (the local PID, still integrating under full load, would
      // move it for minutes): the pump-failure detector learns what each duty gives from settleS of steady duty.
      const controller = new ControllerStandIn(x, broker.url, { fanPct: 50, pumpPct: 70 });
      await controller.start();
      const steadyPeriods = Math.ceil(((x.config.faults.pump.settleS + 1) * 1000) / x.periodMs);
      await waitFor(
        "a steady pump duty",
        () => {
          const duties = x.received.slice(-steadyPeriods).map((m) => m.t.outputs.pumpPct ?? Number.NaN);
          return duties.length === steadyPeriods && Math.max(...duties) - Math.min(...duties) < 2;
        },
        20_000,
      );
      const injectedAt = Date.now();
      const fromMs = x.lastPeriodBefore(injectedAt);
      c.inject(x);
      await waitFor(`${c.kind} alarm`, () => hasAlarm(c.kind)(x.received.at(-1)!.t), 15_000).catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 2000));
      const clearedAt = Date.now();
      c.clear(x);
      await waitFor(`${c.kind} cleared`, () => !hasAlarm(c.kind)(x.received.at(-1)!.t) && x.received.at(-1)!.t.ts > clearedAt, 20_000).catch(() => undefined);
      await waitFor("every period's telemetry delivered", () => x.lostTelemetry(fromMs) === 0, 3_000).catch(() => undefined);
      await controller.stop();
      const stale = controller.stale();
      const detected = x.firstAfter(injectedAt, hasAlarm(c.kind));
      const recovered = x.firstAfter(clearedAt, (t) => !hasAlarm(c.kind)(t));
      recordAndAssert(
        recorder,
        {
          family: "cooling",
          fault: c.fault,
          telemetryLost: x.lostTelemetry(fromMs),
          overLimitS: x.meter.overLimitS,
          staleCommandsApplied: stale.count,
          detectS: detected ? (detected.t.ts - injectedAt) / 1000 : null,
          detectPeriods: detected ? Math.ceil((detected.t.ts - injectedAt) / x.periodMs) : null,
          recoverS: recovered ? (recovered.t.ts - clearedAt) / 1000 : null,
          notes: [
            `alarms: ${alarmsOf(detected?.t)}`,
            detected ? `mode ${detected.t.mode}, fans ${detected.t.outputs.fanPct} %, pump ${detected.t.outputs.pumpPct ?? "?"} %` : "never raised",
            `hottest die ${x.meter.maxDieC.toFixed(1)} °C`,
            `controller stand-in (fans 50 %, pump 70 %): ${controller.summary()}`,
            ...stale.why,
          ].join("; "),
        },
        { detectPeriodsMax: c.debounce(x), recoverSMax: ((c.clearPeriods(x) + 3) * x.periodMs) / 1000 },
      );
    }, 90_000);
  }
});
