import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Telemetry } from "../../src/protocol/index.js";
import { waitFor } from "../helpers/cli.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";
import { FaultRecorder } from "./fault-table.js";
import { ControllerStandIn, CPU_SENSOR, healthy, LiquidRig, quality } from "./liquid-rig.js";
import { recordAndAssert } from "./targets.js";

/**
 * Bus faults on a simulated liquid-cooled PowerEdge (see LiquidRig): the BMC goes silent or answers after the
 * ipmitool time-out; the CDU's serial line is unplugged and plugged back. Detection: the first telemetry that
 * shows the bus's readings flagged (the CPU sensor stale and the host in failsafe; the CDU's flow not ok).
 */
const recorder = new FaultRecorder(import.meta.filename);
let broker: MosquittoBroker;
let rig: LiquidRig;

beforeAll(async () => {
  broker = await startMosquitto();
  rig = new LiquidRig("bus-faults", broker.url);
  await rig.start();
}, 60_000);

afterAll(async () => {
  recorder.print();
  await rig?.stop();
  await broker.dispose();
});

interface BusFault {
  inject: () => Promise<void> | void;
  clear: () => Promise<void> | void;
  holdMs: number;
  flagged: (t: Telemetry) => boolean;
  detectPeriodsMax: number;
  notes: () => string;
}

async function faultRow(fault: string, opts: BusFault): Promise<void> {
  const injectedAt = Date.now();
  const fromMs = rig.lastPeriodBefore(injectedAt);
  const errorsBefore = rig.agent.counters.tickErrors;
  const controller = new ControllerStandIn(rig, broker.url, { fanPct: 60, pumpPct: 80 });
  await controller.start();
  await opts.inject();
  await new Promise((resolve) => setTimeout(resolve, opts.holdMs));
  const clearedAt = Date.now();
  await opts.clear();
  await waitFor("healthy again", () => healthy(rig.received.at(-1)?.t) && (rig.received.at(-1)?.t.ts ?? 0) > clearedAt, 20_000).catch(() => undefined);
  await controller.stop();
  await waitFor("every period's telemetry delivered", () => rig.lostTelemetry(fromMs) === 0, 3_000).catch(() => undefined);
  const stale = controller.stale();
  const detected = rig.firstAfter(injectedAt, opts.flagged);
  const recovered = rig.firstAfter(clearedAt, healthy);
  recordAndAssert(
    recorder,
    {
      family: "bus",
      fault,
      telemetryLost: rig.lostTelemetry(fromMs),
      overLimitS: rig.meter.overLimitS,
      staleCommandsApplied: stale.count,
      detectS: detected ? (detected.t.ts - injectedAt) / 1000 : null,
      detectPeriods: detected ? Math.ceil((detected.t.ts - injectedAt) / rig.periodMs) : null,
      recoverS: recovered ? (recovered.t.ts - clearedAt) / 1000 : null,
      notes: [
        opts.notes(),
        `${rig.agent.counters.tickErrors - errorsBefore} control periods failed (no telemetry)`,
        detected ? `first flagged: mode ${detected.t.mode}, ${CPU_SENSOR} ${quality(detected.t, CPU_SENSOR)}, cdu:flow ${quality(detected.t, "cdu:flow")}` : "never flagged",
        `controller stand-in: ${controller.summary()}`,
        ...stale.why,
      ].join("; "),
    },
    { detectPeriodsMax: opts.detectPeriodsMax, recoverSMax: 5 },
  );
}

describe("bus faults", () => {
  // An IPMI reading is stale staleAfterS after its sweep started; sweeps run every sweepPeriodMs. The last good
  // sweep can have started up to one sweep period before the fault, so the bound is (staleAfterS + sweep) / period + 1.
  const ipmiDetectPeriods = () => Math.ceil((rig.config.plausibility.staleAfterS * 1000 + rig.config.ipmi!.sweepPeriodMs) / rig.periodMs) + 1;
  const ipmiFlagged = (t: Telemetry) => quality(t, CPU_SENSOR) === "stale" && t.mode === "failsafe";

  it("IPMI: the BMC stops answering; its readings go stale, the host goes to failsafe, and comes back", async () => {
    await faultRow("IPMI time-out: BMC silent 6 s", {
      inject: () => rig.relay.setMode({ kind: "drop" }),
      clear: () => rig.relay.setMode({ kind: "pass" }),
      holdMs: 6000,
      flagged: ipmiFlagged,
      detectPeriodsMax: ipmiDetectPeriods(),
      notes: () => `staleAfterS ${rig.config.plausibility.staleAfterS}, sweep ${rig.config.ipmi!.sweepPeriodMs} ms, ipmitool time-out ${rig.config.ipmi!.timeoutMs} ms; ${rig.relay.counters.dropped} datagrams dropped`,
    });
  });

  it("IPMI: the BMC answers after the time-out; the same, and back", async () => {
    await faultRow("IPMI time-out: BMC answers 2.5 s late", {
      inject: () => rig.relay.setMode({ kind: "delay", delayMs: 2500 }),
      clear: () => rig.relay.setMode({ kind: "pass" }),
      holdMs: 6000,
      flagged: ipmiFlagged,
      detectPeriodsMax: ipmiDetectPeriods(),
      notes: () => `every datagram delayed 2.5 s, past the ${rig.config.ipmi!.timeoutMs} ms ipmitool time-out`,
    });
  });

  it("serial: the CDU's pty is unplugged and replugged; its readings go missing, then back", async () => {
    await faultRow("serial port gone 4 s and back (CDU)", {
      inject: () => rig.pty.unplug(),
      clear: async () => {
        await rig.pty.plug();
        await rig.device.cdu.attach(rig.pty.b);
      },
      holdMs: 4000,
      flagged: (t) => quality(t, "cdu:flow") !== "ok",
      // One Modbus poll (pollMs 250) to notice, one period to publish it.
      detectPeriodsMax: Math.ceil(250 / rig.periodMs) + 1,
      notes: () => "socat killed (both ptys vanish) and restarted on the same paths; the agent reconnects with backoff",
    });
    expect(rig.device.cdu.mode()).toMatch(/manual/i);
  });
});
