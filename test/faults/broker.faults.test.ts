import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";
import { AgentFaultRun } from "./agent-fault-run.js";
import { FaultRecorder } from "./fault-table.js";
import { recordAndAssert } from "./targets.js";

/**
 * The broker goes away while the agent keeps controlling at 1 Hz (ManualClock: ten minutes run in seconds). The
 * agent's disk outbox holds every message; after the broker is back, the subscriber (a persistent QoS 1 session)
 * must have every (boot, seq) the agent produced. Recovery: from the broker's return until nothing is missing,
 * in agent seconds (reconnect backoff, then the outbox's paced replay).
 */
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

async function run(): Promise<AgentFaultRun> {
  let outboxDir = "";
  const r = new AgentFaultRun({
    brokerUrl: broker.url,
    workload: "W4",
    seed: 31,
    configure: (c) => {
      outboxDir = join(c.root, "..", "outbox");
      return { ...c, outbox: { ...c.outbox, kind: "disk", dir: outboxDir } };
    },
  });
  runs.push(r);
  expect(r.h.config.outbox).toMatchObject({ kind: "disk", dir: outboxDir });
  await r.start({ feedEvery: 2 });
  await r.period(5);
  await r.h.until("first telemetry delivered", () => r.missing() === 0);
  return r;
}

/** Broker down for outageS agent seconds (the agent restarted after restartAfterS of them, if given), then back. */
async function outage(r: AgentFaultRun, outageS: number, restartAfterS?: number): Promise<{ downAt: number; upAt: number }> {
  r.feeding = false;
  const downAt = r.trueMs();
  await broker.stop();
  await r.h.until("the agent sees the broker gone", () => !r.h.agent.linkStats().connected);
  const periods = outageS / (r.periodMs / 1000);
  const restartAt = restartAfterS === undefined ? -1 : restartAfterS / (r.periodMs / 1000);
  for (let i = 0; i < periods; i++) {
    if (i === restartAt) await r.restartAgent();
    await r.period(1);
  }
  await broker.start();
  return { downAt, upAt: r.trueMs() };
}

async function finish(r: AgentFaultRun, fault: string, upAt: number): Promise<void> {
  // Reconnect backoff (at most reconnectMaxMs) plus the paced replay of the backlog, in agent periods.
  const replayS = r.produced() / r.h.config.outbox.replayPerS;
  const drained = await r.drain(Math.ceil(r.h.config.broker.reconnectMaxMs / r.periodMs + replayS + 30));
  r.feeding = true;
  await r.period(4);
  const lost = await r.lost();
  const stale = await r.staleApplied();
  const historical = r.h.received.telemetry.filter((t) => t.historical === true).length;
  recordAndAssert(
    recorder,
    {
      family: "broker",
      fault,
      telemetryLost: lost,
      overLimitS: r.meter.overLimitS,
      staleCommandsApplied: stale.count,
      detectS: null,
      detectPeriods: null,
      recoverS: drained === undefined ? null : (drained * r.periodMs) / 1000,
      notes: [`${r.produced()} produced by ${new Set(r.h.received.telemetry.map((t) => t.boot)).size} boot(s), ${historical} delivered late as historical`, r.feedSummary(), ...stale.why].join("; "),
    },
    { recoverSMax: r.h.config.broker.reconnectMaxMs / 1000 + replayS + 5 },
  );
  expect(upAt).toBeGreaterThan(0);
}

describe("broker faults", () => {
  it("broker restart (15 s down): nothing lost, backlog delivered after reconnect", async () => {
    const r = await run();
    const { upAt } = await outage(r, 15);
    await finish(r, "broker restart (15 s down)", upAt);
  });

  it("broker outage of 10 minutes at 1 Hz: all 600 periods' telemetry delivered", async () => {
    const r = await run();
    const { upAt } = await outage(r, 600);
    await finish(r, "broker outage 10 min at 1 Hz", upAt);
  });

  it("broker outage of 10 minutes with the agent restarted in the middle: the outbox survives the restart", async () => {
    const r = await run();
    const { upAt } = await outage(r, 600, 300);
    await finish(r, "broker outage 10 min + agent restart", upAt);
    expect(new Set(r.h.received.telemetry.map((t) => t.boot)).size).toBe(2);
  });
});
