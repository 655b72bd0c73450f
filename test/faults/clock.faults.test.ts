import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { parseControllerConfig } from "../../src/config/load.js";
import { ManualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { FleetController } from "../../src/controller/controller.js";
import { SqliteTelemetryStore } from "../../src/controller/store/index.js";
import { decodeCommand, encode, hostTopic, type Command } from "../../src/protocol/index.js";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";
import { AgentFaultRun } from "./agent-fault-run.js";
import { FaultRecorder } from "./fault-table.js";
import { staleCommandsApplied } from "./measures.js";
import { recordAndAssert, secondsBetween } from "./targets.js";

/**
 * The agent's wall clock jumps by an hour (NTP step, bad RTC) while the controller's stays right. The controller
 * (real FleetController, cascade PID policy, SQLite store) keeps sending expiring set-points; a replaying client
 * re-sends old ones and a delayed one arrives after its expiry. Nothing stale may come into force, no lease may
 * outlive its command, and every telemetry message, however wrong its ts, must be stored exactly once.
 */
const HOUR_MS = 3_600_000;
const recorder = new FaultRecorder(import.meta.filename);
let broker: MosquittoBroker;
const cleanups: (() => Promise<void>)[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  recorder.print();
  await broker.dispose();
});
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface Rig {
  r: AgentFaultRun;
  controller: FleetController;
  store: SqliteTelemetryStore;
  commands: Command[];
  spy: MqttClient;
}

async function rig(): Promise<Rig> {
  const r = new AgentFaultRun({ brokerUrl: broker.url, workload: "W4", seed: 21 });
  cleanups.push(() => r.stop());
  const store = new SqliteTelemetryStore(join(r.h.root, "controller.db"));
  // The controller's clock is the true one: it follows the agent's monotonic time line, never its wall clock.
  const controllerClock = new ManualClock(r.h.clock.monotonicMs());
  const config = parseControllerConfig({ version: 1, broker: { url: broker.url, clientId: `clock-ctl-${r.h.hostId}` }, store: { path: store.path }, planner: { policy: "b2" } }, "test");
  const controller = new FleetController({ config, clock: controllerClock, logger: silentLogger(), store });
  cleanups.push(async () => {
    await controller.stop();
    await store.close();
  });
  await controller.start();
  const commands: Command[] = [];
  const spy = await mqtt.connectAsync(broker.url, { clientId: `clock-spy-${r.h.hostId}` });
  cleanups.push(() => spy.endAsync());
  spy.on("message", (_topic, payload) => {
    const d = decodeCommand(payload);
    if (d.ok && !commands.some((c) => c.id === d.value.id)) commands.push(d.value);
  });
  await spy.subscribeAsync(hostTopic(r.h.hostId, "cmd"), { qos: 1 });
  await r.start();
  r.afterPeriod = async (periodMs) => {
    controllerClock.advance(periodMs);
    const ticks = r.h.agent.counters.ticks;
    await r.h.until(`controller took in ${ticks} telemetry`, () => {
      const s = controller.ingestStats();
      return s.accepted + s.duplicates >= ticks;
    });
  };
  return { r, controller, store, commands, spy };
}

/** Runs until the agent is under remote control (the controller's set-point in force), at most maxPeriods. */
async function untilRemote(r: AgentFaultRun, maxPeriods: number): Promise<void> {
  for (let i = 0; i < maxPeriods && r.h.agent.lastReport?.mode !== "remote"; i++) await r.period(1);
}

describe("agent wall clock jumps", () => {
  for (const stepMs of [HOUR_MS, -HOUR_MS]) {
    const name = `agent clock ${stepMs > 0 ? "+" : "−"}1 h and back`;
    it(`${name}: no stale command in force, no lease extended, every telemetry stored once`, async () => {
      const { r, controller, store, commands, spy } = await rig();
      await untilRemote(r, 90);
      expect(r.h.agent.lastReport?.mode, "the controller never took the host under remote control").toBe("remote");

      const jumpedAt = r.trueMs();
      r.h.clock.jump(stepMs);
      await r.period(10);
      // While the clock is off: a replaying client re-sends the first command the controller sent, long applied
      // and expired (a second "applied" ack for it counts as stale); and a command delayed in transit arrives after
      // its expiry, with a seq above everything sent, so only the expiry check can stop it.
      const mustNotApply = new Set<string>();
      const old = commands[0]!;
      expect(old.expiresAt).toBeLessThan(r.trueMs());
      await spy.publishAsync(hostTopic(r.h.hostId, "cmd"), encode(old), { qos: 1 });
      const delayed: Command = { ...old, id: `${old.id}-late`, seq: Number.MAX_SAFE_INTEGER - 1, issuedAt: r.trueMs() - 20_000, expiresAt: r.trueMs() - 10_000 };
      mustNotApply.add(delayed.id);
      await spy.publishAsync(hostTopic(r.h.hostId, "cmd"), encode(delayed), { qos: 1 });
      await r.period(12);

      const backAt = r.trueMs();
      r.h.clock.jump(-stepMs);
      await r.period(25);

      const lostAtSubscriber = await r.lost();
      const injected = [old.id, ...mustNotApply];
      await r.h.until("acks for the injected commands", () => injected.every((id) => r.h.received.acks.filter((a) => a.cmdId === id).length >= (id === old.id ? 2 : 1))).catch(() => undefined);
      const stale = staleCommandsApplied({
        acks: r.h.received.acks,
        telemetry: r.h.received.telemetry,
        sent: commands,
        mustNotApply,
        trueTimeOf: (t) => r.trueTimeOf(t),
      });
      // Ingest batches its writes on the controller's clock; stopping the controller flushes the last batch.
      const ticks = r.h.agent.counters.ticks;
      const rejected = Object.values(controller.ingestStats().rejected).reduce((a, b) => a + b, 0);
      await controller.stop();
      const stored = await store.telemetryRange(r.h.hostId, 0, Number.MAX_SAFE_INTEGER, 1_000_000);
      const keys = stored.map((t) => `${t.boot}/${t.seq}`);
      const duplicates = keys.length - new Set(keys).size;
      const lostInStore = ticks - new Set(keys).size;
      const duringJump = r.firstTelemetry(jumpedAt, () => true);
      const recovered = r.firstTelemetry(backAt, (t) => t.mode === "remote");
      const remoteWhileSkewed = r.periods.filter((p) => p.trueMs > jumpedAt && p.trueMs <= backAt && p.report.mode === "remote").length;
      recordAndAssert(
        recorder,
        {
          family: "clock",
          fault: name,
          telemetryLost: Math.max(lostAtSubscriber, lostInStore),
          overLimitS: r.meter.overLimitS,
          staleCommandsApplied: stale.count,
          detectS: null,
          detectPeriods: null,
          recoverS: secondsBetween(backAt, recovered?.trueMs),
          notes: [
            `${commands.length} controller commands, ${r.h.received.acks.filter((a) => a.status === "expired").length} refused as expired`,
            `replay: ${r.h.received.acks.filter((a) => a.cmdId === old.id).map((a) => a.status).join("/")}, delayed: ${r.h.received.acks.filter((a) => a.cmdId === delayed.id).map((a) => a.status).join("/") || "no ack"}`,
            `${remoteWhileSkewed} of 22 skewed periods under remote control`,
            `telemetry ts off by ${duringJump ? duringJump.t.ts - duringJump.trueMs : "?"} ms stored`,
            `${duplicates} duplicates in store`,
            `lost: ${lostAtSubscriber} at the subscriber, ${lostInStore} in the store`,
            ...stale.why,
          ].join("; "),
        },
        { recoverSMax: 10 },
      );
      expect(duplicates).toBe(0);
      // However wrong its ts, no telemetry was refused.
      expect(rejected).toBe(0);
    });
  }
});
