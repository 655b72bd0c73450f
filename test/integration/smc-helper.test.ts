import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadProfile, SimHost } from "../../firmware-sim/index.js";
import { SimulatedSmc, SimulatedSmcHelper } from "../../firmware-sim/smc/index.js";
import { ManualClock } from "../../src/core/clock.js";
import { createSmcBinding, isSmcHelperError, SmcConfig, SmcHelperClient, type SmcBinding } from "../../src/hardware/smc/index.js";
import type { ForceScheme } from "../../src/hardware/smc/index.js";

/**
 * The agent's SMC binding against the simulated helper over a real Unix socket. This is the only place the
 * protocol is exercised end to end: the privileged macOS helper itself is not part of this repository (docs/mac.md).
 */

const LEASE_MS = 15_000;

/** Runs what is already queued (promise chains, socket callbacks); no time passes on any clock. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("SMC binding ↔ simulated helper over a Unix socket", () => {
  let dir: string;
  let helperClock: ManualClock;
  let agentClock: ManualClock;
  let smc: SimulatedSmc;
  let helper: SimulatedSmcHelper;
  let binding: SmcBinding;

  async function setUp(scheme: ForceScheme = "t2"): Promise<void> {
    const profile = loadProfile("macpro-2019");
    const physics = new SimHost({ hostId: "macpro-1", profile, seed: 4, spread: false, initial: { cpuUtil: 0.5 } });
    smc = new SimulatedSmc({ physics, profile, scheme, inputs: () => ({ cpuUtil: 0.5, diskMBps: 0, inletC: 25 }) });
    helper = new SimulatedSmcHelper({ smc, clock: helperClock, socketPath: join(dir, "smc.sock") });
    await helper.listen();
    binding = await createSmcBinding(SmcConfig.parse({ socketPath: join(dir, "smc.sock"), leaseMs: LEASE_MS, timeoutMs: 1000 }), { clock: agentClock });
    await binding.sensors.start();
  }

  function stepMac(seconds: number): void {
    for (let t = 0; t < seconds; t += 0.5) smc.step(0.5);
  }

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "coolfleet-smc-"));
    helperClock = new ManualClock();
    agentClock = new ManualClock();
  });

  afterEach(async () => {
    binding.sensors.stop();
    await binding.client.close();
    await helper.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("reads fans and temperatures that agree with the simulated Mac", async () => {
    await setUp();
    expect(binding.hello).toMatchObject({ protocol: 1, model: "MacPro7,1", forceScheme: "t2" });
    expect(binding.fans.channels).toBe(4);
    const snap = smc.snapshot();
    const readings = new Map(binding.sensors.sweep(agentClock.nowMs()).map((r) => [r.id, r]));
    expect([...readings.keys()]).toEqual(expect.arrayContaining(["smc:F0Ac", "smc:F3Ac", "smc:TC0P", "smc:TCXC", "smc:TA0P"]));
    expect(readings.get("smc:F3Ac")).toMatchObject({ kind: "fan", unit: "rpm" });
    expect(readings.get("smc:F3Ac")?.value).toBeCloseTo(snap.fans[3]?.rpm ?? 0, 0);
    expect(readings.get("smc:TCXC")).toMatchObject({ kind: "temperature", unit: "C", sampledAtMs: agentClock.nowMs() });
    expect(readings.get("smc:TCXC")?.value).toBeCloseTo(snap.sockets[0]?.dieC ?? 0, 0);
    expect(readings.get("smc:TA0P")?.value).toBeCloseTo(25, 5);
    expect(binding.sensors.manifest()).toContainEqual({ id: "smc:TC0P", kind: "temperature", unit: "C" });
  });

  it("takes control and sets fans, which changes the simulated fan speed; restore gives them back", async () => {
    await setUp();
    const before = smc.snapshot().fans.map((f) => f.rpm);
    await binding.fans.takeControl();
    await binding.fans.setPct(100);
    expect([smc.forced(0), smc.forced(3)]).toEqual([true, true]);
    stepMac(15);
    agentClock.advance(2000);
    await binding.sensors.pollNow();
    const fans = binding.sensors.sweep(agentClock.nowMs()).filter((r) => r.kind === "fan");
    const maxRpm = [2000, 2000, 2000, 2500];
    fans.forEach((f, i) => expect(f.value).toBeCloseTo(maxRpm[i] ?? 0, -1));
    expect(fans[0]?.value).toBeGreaterThan((before[0] ?? 0) + 500);
    const { fans: status } = await binding.client.readFans();
    expect(status.map((f) => f.mode)).toEqual(["forced", "forced", "forced", "forced"]);

    await binding.fans.restore();
    await binding.fans.restore();
    expect(smc.forced(0)).toBe(false);
    expect(helper.service.autoRestores).toBe(1);
  });

  it("the helper gives the fans back to the SMC when the agent goes quiet past the lease", async () => {
    await setUp();
    await binding.fans.takeControl();
    await binding.fans.setPct(90);
    helperClock.advance(LEASE_MS - 1);
    expect(smc.forced(0)).toBe(true);
    helperClock.advance(1);
    expect(smc.forced(0)).toBe(false);
    expect(helper.service.leaseLapses).toBe(1);
    const { fans } = await binding.client.readFans();
    expect(fans.every((f) => f.mode === "auto")).toBe(true);
    // The actuator takes the lease back on its next write.
    await binding.fans.setPct(90);
    expect(smc.forced(0)).toBe(true);
  });

  it("the actuator renews the lease through a quiet stretch", async () => {
    await setUp();
    await binding.fans.takeControl();
    await binding.fans.setPct(60);
    for (let s = 0; s < 60; s++) {
      agentClock.advance(1000);
      // The renewal is a real socket round trip: wait for the helper to have seen it before its clock moves.
      if ((s + 1) % 5 === 0) await binding.client.readFans();
      helperClock.advance(1000);
    }
    expect(smc.forced(0)).toBe(true);
    expect(helper.service.leaseLapses).toBe(0);
  });

  it("restores automatic fans at once when the agent's connection drops", async () => {
    await setUp();
    await binding.fans.takeControl();
    await binding.fans.setPct(90);
    const dropped = new Promise<void>((resolve) => binding.client.once("disconnected", () => resolve()));
    await binding.client.close();
    await dropped;
    // The helper sees the close asynchronously; a second client's round trip orders after it.
    const other = new SmcHelperClient({ socketPath: helper.socketPath, clock: agentClock });
    await other.hello();
    await other.close();
    expect(smc.forced(0)).toBe(false);
    expect(binding.sensors.sweep(agentClock.nowMs()).every((r) => r.value === null && r.error === "SMC helper not connected")).toBe(true);
  });

  it("reports 129 °C as an invalid reading, and a key the Mac lacks as missing", async () => {
    await setUp();
    smc.setInvalidTemp("TC0P", true);
    await binding.sensors.pollNow();
    const tc0p = binding.sensors.sweep(agentClock.nowMs()).find((r) => r.id === "smc:TC0P");
    expect(tc0p).toMatchObject({ value: null, error: "SMC reports 129 °C (invalid reading)" });
    const { temps } = await binding.client.readTemps(["Tp01"]);
    expect(temps).toEqual({ Tp01: null });
  });

  it("a second agent cannot take the lease; a silent helper times out and leaves the readings stale", async () => {
    await setUp();
    await binding.fans.takeControl();
    const intruder = new SmcHelperClient({ socketPath: helper.socketPath, clock: agentClock });
    await expect(intruder.takeControl(10_000)).rejects.toSatisfy((err: unknown) => isSmcHelperError(err, "lease_held"));
    await intruder.close();

    const sampledAt = agentClock.nowMs();
    helper.setSilent(true);
    agentClock.advance(5000);
    const poll = binding.sensors.pollNow();
    // Let the request reach the wire (its timeout is then armed); only the agent's clock can end the wait.
    await settle();
    agentClock.advance(1000);
    expect(await poll).toBe(false);
    const stale = binding.sensors.sweep(agentClock.nowMs()).find((r) => r.id === "smc:TCXC");
    expect(stale?.sampledAtMs).toBe(sampledAt);
    expect(stale?.value).not.toBeNull();
    const late = binding.client.setFans(50);
    await settle();
    agentClock.advance(1000);
    await expect(late).rejects.toSatisfy((err: unknown) => isSmcHelperError(err, "timeout"));
  });

  it("takes the lease again after a helper restart (no_lease)", async () => {
    await setUp();
    await binding.fans.takeControl();
    await binding.fans.setPct(70);
    const dropped = new Promise<void>((resolve) => binding.client.once("disconnected", () => resolve()));
    helper.dropConnections();
    await dropped;
    expect(smc.forced(0)).toBe(false);
    await binding.fans.setPct(70);
    expect(smc.forced(0)).toBe(true);
    expect(helper.service.holder()).toBeDefined();
  });

  it("drives an older Intel Mac through the FS! bitmask", async () => {
    await setUp("fs-bitmask");
    expect(binding.hello.forceScheme).toBe("fs-bitmask");
    await binding.fans.takeControl();
    await binding.fans.setPct(0);
    expect(smc.readKey("FS! ")).toBe(0b1111);
    expect(smc.readKey("F3Tg")).toBe(625);
    await binding.fans.restore();
    expect(smc.readKey("FS! ")).toBe(0);
  });
});
