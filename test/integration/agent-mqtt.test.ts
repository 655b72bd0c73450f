import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";
import { AgentHarness } from "../helpers/agent-harness.js";

let broker: MosquittoBroker;
const harnesses: AgentHarness[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
});
afterAll(async () => {
  await broker.dispose();
});
afterEach(async () => {
  for (const h of harnesses.splice(0)) {
    await h.stop().catch(() => undefined);
    h.dispose();
  }
});

async function harness(options: Partial<ConstructorParameters<typeof AgentHarness>[0]> = {}): Promise<AgentHarness> {
  const h = new AgentHarness({ brokerUrl: broker.url, ...options });
  harnesses.push(h);
  await h.start();
  return h;
}

describe("agent with a real mosquitto and a simulated host", () => {
  it("announces itself with a retained birth and publishes valid telemetry with strictly increasing seq", async () => {
    const h = await harness();
    await h.until("birth", () => h.received.states.some((s) => s.online));
    await h.period(12);
    await h.until("12 telemetry messages", () => h.received.telemetry.length >= 12);

    expect(h.received.invalid).toEqual([]);
    const birth = h.received.states.find((s) => s.online);
    expect(birth?.online && birth.sensors.some((s) => s.id === "coretemp.0:Package id 0" && s.role === "cpu" && s.required)).toBe(true);
    expect(birth?.online && birth.capabilities.fans).toMatchObject({ channels: 6, tier: "full", roles: ["cpu", "drive"], maxPowerW: 72 });
    expect(birth?.online && birth.capabilities.cpuLeakage).toEqual({ at85W: 52, doublingK: 19 });

    const seqs = h.received.telemetry.map((t) => t.seq);
    seqs.forEach((seq, i) => i > 0 && expect(seq).toBe(seqs[i - 1]! + 1));
    const boots = new Set(h.received.telemetry.map((t) => t.boot));
    expect(boots).toEqual(new Set([birth?.boot]));
    const last = h.received.telemetry.at(-1)!;
    expect(last.mode).toBe("local");
    const pkg = last.readings.find((r) => r.id === "coretemp.0:Package id 0");
    expect(pkg).toMatchObject({ kind: "temperature", unit: "C", quality: "ok" });
    expect(pkg!.value!).toBeGreaterThan(20);
    expect(last.readings.find((r) => r.id === "cpu:util")?.quality).toBe("ok");
    expect(last.readings.filter((r) => r.kind === "fan")).toHaveLength(6);
    // The agent took the fans out of firmware automatic.
    expect(h.pwm(1).enable).toBe(1);
    expect(h.device.fanControl()[0]?.mode).toBe("manual");
  });

  it("applies a command through the governor and acks it, then falls back to local control when the lease lapses", async () => {
    const h = await harness();
    await h.period(3);
    await h.waitForCommandPath();
    const ttlMs = 15_000;
    const cmd = h.command({ fanPct: 60 }, { ttlMs });
    await h.deliver(cmd);
    await h.period(1);
    await h.until("applied ack", () => h.acksFor(cmd.id).length > 0);
    expect(h.acksFor(cmd.id)).toEqual([expect.objectContaining({ status: "applied", seq: cmd.seq })]);

    // The governor slews the fans from where they were (it starts at full speed) down to 60 % and holds them there.
    await h.period(12);
    await h.until("telemetry", () => h.received.telemetry.length >= 16);
    const remote = h.received.telemetry.at(-1)!;
    expect(remote.mode).toBe("remote");
    expect(remote.cmdSeq).toBe(cmd.seq);
    expect(remote.outputs.fanPct).toBeCloseTo(60, 5);
    expect(h.pwm(1).pwm).toBe(Math.round(0.6 * 255));

    // The lease ends 15 s after the command arrived; 13 periods have run. The next period is still remote;
    // the one after the lease ended is local: control came back within one period.
    await h.period(1);
    await h.until("telemetry", () => h.received.telemetry.length >= 17);
    expect(h.received.telemetry.at(-1)!.mode).toBe("remote");
    await h.period(2);
    await h.until("telemetry", () => h.received.telemetry.length >= 19);
    const after = h.received.telemetry.at(-1)!;
    expect(after.mode).toBe("local");
    expect(after.cmdSeq).toBeUndefined();
    expect(after.ts - cmd.issuedAt).toBeLessThanOrEqual(ttlMs + h.config.periodMs);
  });

  it("rejects expired, replayed and out-of-order commands with the right ack, and counts garbage", async () => {
    const h = await harness();
    await h.period(2);
    await h.waitForCommandPath();

    const expired = h.command({ fanPct: 50 }, { issuedAt: h.clock.nowMs() - 20_000, ttlMs: 10_000 });
    const fresh = h.command({ fanPct: 55 }, { seq: 10 });
    await h.deliver(expired);
    await h.deliver(fresh);
    await h.until("acks", () => h.acksFor(expired.id).length > 0);
    await h.period(1);
    await h.until("applied", () => h.acksFor(fresh.id).length > 0);
    await h.deliver(fresh); // a QoS 1 style duplicate
    const older = h.command({ fanPct: 90 }, { seq: 4 });
    await h.deliver(older);
    await h.deliver("{not json");
    await h.deliver(JSON.stringify({ v: 1, id: "x", host: h.hostId, seq: 99, issuedAt: 5, expiresAt: 1, setpoints: { fanPct: 20 } }));
    await h.until("all acks", () => h.acksFor(fresh.id).length >= 2 && h.acksFor(older.id).length > 0);
    await h.period(1);

    expect(h.acksFor(expired.id)).toEqual([expect.objectContaining({ status: "expired" })]);
    expect(h.acksFor(fresh.id).map((a) => [a.status, a.status === "applied" ? "" : a.reason])).toEqual([
      ["applied", ""],
      ["rejected", "replayed"],
    ]);
    expect(h.acksFor(older.id).map((a) => a.status)).toEqual(["rejected"]);
    expect(h.acksFor(older.id)[0]?.reason).toMatch(/out of order/);
    expect(h.agent.counters.commandsRejectedInvalid).toBe(2);
    // The out-of-order command never came into force; the applied one stayed in force.
    expect(h.received.telemetry.some((t) => t.cmdSeq === older.seq)).toBe(false);
    expect(h.received.telemetry.at(-1)!.cmdSeq).toBe(fresh.seq);
  });

  it("goes to failsafe in the same control period a required sensor drops out, and recovers", async () => {
    const h = await harness();
    await h.period(5);
    const matched = h.device.injectSensorFault("coretemp.0:Package id 0", { kind: "dropout" });
    expect(matched.length).toBe(1);
    await h.period(1);
    await h.until("telemetry", () => h.received.telemetry.length >= 6);
    const t = h.received.telemetry.at(-1)!;
    expect(t.readings.find((r) => r.id === "coretemp.0:Package id 0")).toMatchObject({ value: null, quality: "missing" });
    expect(t.mode).toBe("failsafe");
    expect(t.outputs.fanPct).toBe(100);
    expect(h.pwm(3).pwm).toBe(255);

    h.device.clearSensorFault("coretemp.0:Package id 0");
    await h.period(1);
    await h.until("telemetry", () => h.received.telemetry.length >= 7);
    expect(h.received.telemetry.at(-1)!.mode).toBe("local");
  });

  it("flags a stuck sensor once its peers move, and goes to failsafe in that period", async () => {
    // W1 steps between idle and full load, so the other cores move while the stuck one does not.
    const h = await harness({ workload: "W1" });
    await h.period(3);
    h.device.injectSensorFault("coretemp.0:Package id 0", { kind: "stuck" });
    const stuckAfterS = h.config.plausibility.stuckAfterS;
    let detectedAt = -1;
    for (let i = 1; i <= stuckAfterS + 60 && detectedAt < 0; i++) {
      await h.period(1);
      await h.until("telemetry", () => h.received.telemetry.length >= 3 + i);
      const t = h.received.telemetry.at(-1)!;
      if (t.readings.find((r) => r.id === "coretemp.0:Package id 0")?.quality === "stuck") {
        detectedAt = i;
        expect(t.mode).toBe("failsafe");
        expect(t.outputs.fanPct).toBe(100);
      }
    }
    // The frozen value last changed in the report before the fault, so it has been unchanged for stuckAfterS
    // seconds one period early.
    expect(detectedAt).toBeGreaterThanOrEqual(stuckAfterS - 1);
    expect(detectedAt).toBeLessThanOrEqual(stuckAfterS + 30);
  });

  it("queues telemetry through a broker restart and delivers it without a gap, counting what the bound dropped", async () => {
    const h = await harness({ configure: (c) => ({ ...c, broker: { ...c.broker, queueMax: 8, reconnectMinMs: 100, reconnectMaxMs: 200 } }) });
    await h.period(3);
    await h.until("3 telemetry", () => h.received.telemetry.length >= 3);
    await broker.stop();
    await h.until("link down", () => !h.agent.linkStats().connected);
    await h.period(12); // 12 messages into a queue of 8: 4 dropped
    expect(h.agent.linkStats().dropped).toBe(4);
    await broker.start();
    for (let i = 0; i < 100 && !h.agent.linkStats().connected; i++) {
      h.clock.advance(200);
      await new Promise((r) => setTimeout(r, 20));
    }
    await h.period(1);
    await h.until("backlog delivered", () => h.received.telemetry.some((t) => t.seq === 15));
    const seqs = [...new Set(h.received.telemetry.map((t) => t.seq))].sort((a, b) => a - b);
    // Seqs 3..6 were dropped by the bound; everything else arrived.
    expect(seqs).toEqual([0, 1, 2, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    expect(h.received.telemetry.at(-1)!.dropped).toBe(4);
    expect(h.received.states.filter((s) => s.online).length).toBeGreaterThanOrEqual(2);
  });

  it("restores pwm_enable and announces a clean shutdown on stop", async () => {
    const h = await harness();
    await h.until("birth", () => h.received.states.some((s) => s.online));
    await h.period(2);
    expect(h.pwm(2).enable).toBe(1);
    await h.agent.stop();
    expect(h.pwm(2).enable).toBe(2);
    await h.until("offline state", () => h.received.states.some((s) => !s.online));

    expect(h.received.states.find((s) => !s.online)).toMatchObject({ online: false, reason: "shutdown" });
    h.fleet.stepAll(1);
    expect(h.device.fanControl()[0]?.mode).toBe("firmware");
  });
});
