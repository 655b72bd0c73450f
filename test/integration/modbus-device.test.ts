import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SimulatedCdu } from "../../firmware-sim/cdu/index.js";
import { loadProfile, SimHost } from "../../firmware-sim/index.js";
import { ManualClock } from "../../src/core/clock.js";
import { createModbusBinding, isModbusRequestError, loadRegisterMap, ModbusDeviceConfig, type LinkState, type ModbusBinding } from "../../src/hardware/modbus/index.js";
import { startPtyPair, type PtyPair } from "../helpers/pty-pair.js";

/**
 * The agent's Modbus binding (modbus-serial on serialport) against the simulated CDU over a socat pty pair:
 * real RTU frames, real CRCs, a real port that vanishes when the "cable" is pulled.
 */

const LEASE_S = 30;

function nextState(binding: ModbusBinding, wanted: LinkState): Promise<void> {
  return new Promise((resolve) => {
    binding.device.onLinkState((state) => {
      if (state === wanted) resolve();
    });
  });
}

describe("ModbusDevice ↔ simulated CDU over a pty", () => {
  let pty: PtyPair;
  let cdu: SimulatedCdu;
  let cduClock: ManualClock;
  let agentClock: ManualClock;
  let binding: ModbusBinding;

  function stepCdu(seconds: number): void {
    for (let t = 0; t < seconds; t += 0.5) cdu.step(0.5);
  }

  beforeEach(async () => {
    pty = await startPtyPair();
    cduClock = new ManualClock();
    agentClock = new ManualClock();
    const physics = new SimHost({ hostId: "r750-1", profile: loadProfile("poweredge-r750-liquid"), seed: 3, spread: false, initial: { cpuUtil: 0.6 } });
    cdu = new SimulatedCdu({ map: loadRegisterMap("orv3-rpu"), physics, clock: cduClock, leaseS: LEASE_S });
    stepCdu(5);
    await cdu.attach(pty.b);
    const config = ModbusDeviceConfig.parse({ name: "cdu", port: pty.a, map: "orv3-rpu", timeoutMs: 250, retries: 2, retryBackoffMs: 10, reconnectMinMs: 1000 });
    binding = createModbusBinding(config, { clock: agentClock });
    await binding.device.start();
  });

  afterEach(async () => {
    await binding.device.stop();
    await cdu.dispose();
    await pty.dispose();
  });

  it("sweeps cached readings that agree with the physics, with their sample times", () => {
    const liquid = cdu.liquid();
    const readings = new Map(binding.sensors.sweep(agentClock.nowMs()).map((r) => [r.id, r]));
    expect(readings.get("cdu:flow")).toMatchObject({ kind: "flow", unit: "Lpm", sampledAtMs: agentClock.nowMs() });
    expect(readings.get("cdu:flow")?.value).toBeCloseTo(liquid.flowLpm, 1);
    expect(readings.get("cdu:coolant_supply_temp")?.value).toBeCloseTo(liquid.coolantSupplyC, 0);
    expect(readings.get("cdu:coolant_return_temp")?.value).toBeCloseTo(liquid.coolantReturnC, 0);
    expect(readings.get("cdu:pump1_rpm")).toMatchObject({ kind: "pump", unit: "rpm", value: Math.round(liquid.pumpRpm) });
    expect(readings.get("cdu:pump1_power")?.value).toBeCloseTo(liquid.pumpPowerW / 2, 1);
    // Set-points, the control word, volts, amps and leak flags are not telemetry readings.
    expect([...readings.keys()].filter((id) => /control_word|duty|target|voltage|current|leak/.test(id))).toEqual([]);
    expect(binding.sensors.leakDetected()).toBe(false);
  });

  it("takes control (manual), sets the duty that drives the pump, and restores the automatic mode", async () => {
    const pump = binding.pump;
    if (!pump) throw new Error("orv3-rpu has a control block");
    const flowBefore = cdu.liquid().flowLpm;
    await pump.takeControl();
    expect(cdu.mode()).toBe("manual");
    // Bumpless: manual mode starts at the speed the pumps were running.
    expect(cdu.firmware.dutySetpointPct).toBe(Math.round(cdu.liquid().pumpSpeedPct));

    await pump.setPct(100);
    expect(cdu.firmware.dutySetpointPct).toBe(100);
    stepCdu(20);
    await binding.device.pollNow();
    const flow = binding.sensors.sweep(agentClock.nowMs()).find((r) => r.id === "cdu:flow");
    expect(flow?.value).toBeGreaterThan(flowBefore + 0.5);
    expect(flow?.value).toBeCloseTo(cdu.liquid().flowLpm, 1);

    await pump.restore();
    expect(cdu.mode()).toBe("auto1");
    await pump.restore(); // safe twice
    expect(cdu.mode()).toBe("auto1");
  });

  it("survives the cable being pulled: reports disconnected, reads null, reconnects with backoff, resumes", async () => {
    const lost = nextState(binding, "disconnected");
    await pty.unplug();
    // serialport may notice the hang-up by itself, or only at the next write: a poll (without moving the clock,
    // so no reconnect attempt starts yet) makes sure.
    await binding.device.pollNow();
    await lost;
    expect(binding.device.linkState()).toBe("disconnected");
    const during = binding.sensors.sweep(agentClock.nowMs());
    expect(during.every((r) => r.value === null && /modbus link disconnected/.test(r.error ?? ""))).toBe(true);
    expect(binding.sensors.leakDetected()).toBeUndefined();
    await expect(binding.pump?.setPct(50)).rejects.toSatisfy((err: unknown) => isModbusRequestError(err, "disconnected"));

    // First attempt after 1 s: the path is still gone.
    const failedAgain = nextState(binding, "disconnected");
    agentClock.advance(1000);
    await failedAgain;
    expect(binding.device.stats().reconnectAttempts).toBe(1);

    await pty.plug();
    await cdu.attach(pty.b);
    stepCdu(2);
    // Backoff doubled: nothing at +1 s, the attempt at +2 s.
    const back = nextState(binding, "connected");
    agentClock.advance(1999);
    expect(binding.device.stats().reconnectAttempts).toBe(1);
    agentClock.advance(1);
    await back;
    expect(binding.device.stats()).toMatchObject({ reconnects: 1, reconnectAttempts: 2 });

    await binding.device.pollNow();
    const after = binding.sensors.sweep(agentClock.nowMs());
    const flow = after.find((r) => r.id === "cdu:flow");
    expect(flow?.value).toBeCloseTo(cdu.liquid().flowLpm, 1);
    expect(flow?.sampledAtMs).toBe(agentClock.nowMs());
  });

  it("the CDU's manual mode lapses to automatic when not renewed, and the actuator takes it back", async () => {
    const pump = binding.pump;
    if (!pump) throw new Error("orv3-rpu has a control block");
    await pump.takeControl();
    await pump.setPct(80);
    cduClock.advance((LEASE_S - 1) * 1000);
    expect(cdu.mode()).toBe("manual");
    cduClock.advance(2000);
    expect(cdu.mode()).toBe("auto1");
    expect(cdu.firmware.leaseLapses).toBe(1);

    agentClock.advance(100);
    await binding.device.pollNow();
    expect(binding.device.value("control_word")?.value).toBe(1);
    await pump.setPct(80);
    expect(cdu.mode()).toBe("manual");
    await pump.restore();
  });

  it("renews the duty itself through a quiet stretch, so the lease holds", async () => {
    const pump = binding.pump;
    if (!pump) throw new Error("orv3-rpu has a control block");
    await pump.takeControl();
    await pump.setPct(70);
    const writesBefore = cdu.wireStats().requests;
    // 10 s renewals against a 30 s lease, over two minutes with no setPct from the agent.
    for (let s = 0; s < 120; s += 5) {
      agentClock.advance(5000);
      await binding.device.pollNow();
      cduClock.advance(5000);
    }
    expect(cdu.mode()).toBe("manual");
    expect(cdu.firmware.leaseLapses).toBe(0);
    expect(cdu.wireStats().requests).toBeGreaterThan(writesBefore);
    await pump.restore();
  });

  it("retries a corrupt answer and a missing one, counting both", async () => {
    cdu.setLinkFault({ kind: "crc", responses: 1 });
    expect(await binding.device.readRegister("flow")).toBeCloseTo(cdu.liquid().flowLpm, 1);
    cdu.setLinkFault({ kind: "silence", responses: 1 });
    expect(await binding.device.readRegister("flow")).toBeCloseTo(cdu.liquid().flowLpm, 1);
    expect(binding.device.stats()).toMatchObject({ crcErrors: 1, timeouts: 1, retries: 2, failures: 0 });
  });

  it("a silent CDU leaves the readings with their old sample times (stale), and they recover", async () => {
    const sampledAt = agentClock.nowMs();
    agentClock.advance(5000);
    cdu.setLinkFault({ kind: "silence" });
    const result = await binding.device.pollNow();
    expect(result.blocksRead).toBe(0);
    expect(binding.device.linkState()).toBe("connected");
    const flow = binding.sensors.sweep(agentClock.nowMs()).find((r) => r.id === "cdu:flow");
    expect(flow?.sampledAtMs).toBe(sampledAt);
    expect(binding.device.stats().timeouts).toBeGreaterThanOrEqual(3);
    cdu.setLinkFault(undefined);
    await binding.device.pollNow();
    expect(binding.sensors.sweep(agentClock.nowMs()).find((r) => r.id === "cdu:flow")?.sampledAtMs).toBe(agentClock.nowMs());
  });

  it("reports a leak and a degraded pump", async () => {
    const healthyFlow = cdu.liquid().flowLpm;
    cdu.setLeak("rack_leak", true);
    cdu.setPumpDegraded(0.5);
    stepCdu(20);
    await binding.device.pollNow();
    expect(binding.sensors.leakDetected()).toBe(true);
    expect(binding.sensors.leak()?.set).toEqual(["rack_leak"]);
    const flow = binding.sensors.sweep(agentClock.nowMs()).find((r) => r.id === "cdu:flow");
    expect(flow?.value).toBeLessThan(healthyFlow * 0.7);
  });
});
