import { describe, expect, it } from "vitest";
import { cpuDemandW, leakageW } from "../../firmware-sim/physics/cpu-power.js";
import { SPREAD_FRACTION } from "../../firmware-sim/physics/parameter-spread.js";
import { SimHost } from "../../firmware-sim/physics/sim-host.js";
import { energyOptimalFanPct, firmwareSteadyState, steadyState } from "../../firmware-sim/physics/steady-state.js";
import type { SimInputs, SimSnapshot } from "../../firmware-sim/physics/types.js";
import { loadProfile } from "../../firmware-sim/profiles/index.js";
import { createRng } from "../../firmware-sim/rng.js";

const r740 = loadProfile("poweredge-r740-air");
const r750 = loadProfile("poweredge-r750-liquid");
const INLET_C = 25;

function nominalHost(profile = r740, initial?: ConstructorParameters<typeof SimHost>[0]["initial"]): SimHost {
  return new SimHost({ hostId: "h1", profile, seed: 7, spread: false, ...(initial ? { initial } : {}) });
}

function inputs(cpuUtil: number, fanPct: number, extra: Partial<SimInputs> = {}): SimInputs {
  return { cpuUtil, diskMBps: 0, inletC: INLET_C, fanCmdPct: [fanPct], ...extra };
}

/** Steps a host for durationS in 1 s steps, returning the hottest die seen. */
function run(host: SimHost, durationS: number, input: SimInputs): number {
  let hottestC = Number.NEGATIVE_INFINITY;
  for (let t = 0; t < durationS; t++) {
    host.step(1, input);
    hottestC = Math.max(hottestC, ...host.snapshot().sockets.map((s) => s.dieC));
  }
  return hottestC;
}

const hottestDie = (snapshot: SimSnapshot): number => Math.max(...snapshot.sockets.map((s) => s.dieC));

describe("calibration of poweredge-r740-air (2 × 205 W, 25 °C inlet, nominal parameters)", () => {
  it("puts the energy-optimal fan near 70 % with Tj near 89 °C at full load", () => {
    const optimum = energyOptimalFanPct(r740, { cpuUtil: 1, inletC: INLET_C });
    expect(optimum.fanPct).toBeGreaterThanOrEqual(62);
    expect(optimum.fanPct).toBeLessThanOrEqual(78);
    expect(optimum.dieC).toBeGreaterThanOrEqual(84);
    expect(optimum.dieC).toBeLessThanOrEqual(94);
  });

  it("puts it near 45–50 % at half load", () => {
    const optimum = energyOptimalFanPct(r740, { cpuUtil: 0.5, inletC: INLET_C });
    expect(optimum.fanPct).toBeGreaterThanOrEqual(40);
    expect(optimum.fanPct).toBeLessThanOrEqual(55);
  });

  it("puts it near 30 % at 10 % load, an interior optimum above the 20 % fan floor", () => {
    const op = { cpuUtil: 0.1, inletC: INLET_C };
    const optimum = energyOptimalFanPct(r740, op);
    expect(optimum.fanPct).toBeGreaterThanOrEqual(24);
    expect(optimum.fanPct).toBeLessThanOrEqual(36);
    // Interior: both neighbours cost more — the floor in leakage, faster fans in fan power.
    expect(steadyState(r740, { ...op, fanPct: 20 }).totalPowerW).toBeGreaterThan(optimum.totalPowerW);
    expect(steadyState(r740, { ...op, fanPct: optimum.fanPct + 10 }).totalPowerW).toBeGreaterThan(optimum.totalPowerW);
  });

  it("finds the optimum as the minimum of whole-server power over the fan range", () => {
    const op = { cpuUtil: 1, inletC: INLET_C };
    const optimum = energyOptimalFanPct(r740, op);
    for (let fanPct = 50; fanPct <= 100; fanPct += 5) {
      expect(steadyState(r740, { ...op, fanPct }).totalPowerW).toBeGreaterThanOrEqual(optimum.totalPowerW - 1e-9);
    }
  });

  it("runs away at full load below ~50 % fan, and not at 55 %", () => {
    const at45 = steadyState(r740, { cpuUtil: 1, inletC: INLET_C, fanPct: 45 });
    expect(at45.runaway || at45.dieC > r740.tjMaxC).toBe(true);
    expect(at45.runaway).toBe(true);
    const at55 = steadyState(r740, { cpuUtil: 1, inletC: INLET_C, fanPct: 55 });
    expect(at55.runaway).toBe(false);
  });

  it("climbs past Tj max when stepped at 45 % fan and full load with throttling disabled", () => {
    const host = nominalHost();
    host.setThrottleEnabled(false);
    const hottestC = run(host, 1200, inputs(1, 45));
    expect(hottestC).toBeGreaterThan(r740.tjMaxC + 10);
    expect(host.snapshot().throttled).toBe(false);
  });

  it("holds the die at Tj max by cutting dynamic power when throttling is enabled", () => {
    const host = nominalHost();
    const hottestC = run(host, 1200, inputs(1, 45));
    const snapshot = host.snapshot();
    expect(hottestC).toBeLessThanOrEqual(r740.tjMaxC + 0.01);
    expect(hottestDie(snapshot)).toBeGreaterThan(r740.tjMaxC - 0.5);
    expect(snapshot.throttled).toBe(true);
    for (const socket of snapshot.sockets) {
      expect(socket.throttled).toBe(true);
      expect(socket.dynamicW).toBeLessThan(cpuDemandW(r740.cpu, 1) - 1);
    }
  });

  it("stops throttling once the fans are raised", () => {
    const host = nominalHost();
    run(host, 600, inputs(1, 45));
    expect(host.snapshot().throttled).toBe(true);
    run(host, 600, inputs(1, 90));
    expect(host.snapshot().throttled).toBe(false);
    expect(hottestDie(host.snapshot())).toBeLessThan(r740.tjMaxC - 5);
  });
});

describe("physical laws", () => {
  it("fan power follows the cube of speed (6 × 12 W at 100 %)", () => {
    const host = nominalHost();
    run(host, 30, inputs(0.2, 100));
    const full = host.snapshot();
    expect(full.coolingPowerW).toBeCloseTo(6 * 12, 1);
    run(host, 30, inputs(0.2, 50));
    const half = host.snapshot();
    expect(half.fans[0]?.powerW).toBeCloseTo(12 / 8, 2);
    expect(half.coolingPowerW / full.coolingPowerW).toBeCloseTo(1 / 8, 3);
  });

  it("fan rpm is proportional to speed, and the fan lags its command by a 1–2 s time constant", () => {
    const host = nominalHost(r740, { fanPct: 20 });
    host.step(r740.fans.responseTauS, inputs(0, 80));
    const afterTau = host.snapshot().fans[0]?.speedPct ?? 0;
    // One time constant covers 1 − 1/e of the 20 → 80 % step.
    expect(afterTau).toBeCloseTo(20 + 60 * (1 - Math.exp(-1)), 1);
    run(host, 20, inputs(0, 80));
    const fan = host.snapshot().fans[0];
    expect(fan?.speedPct).toBeCloseTo(80, 3);
    expect(fan?.rpm).toBeCloseTo(0.8 * r740.fans.maxRpm, 0);
  });

  it("runs fans commanded below the floor at the floor", () => {
    const host = nominalHost();
    run(host, 30, inputs(0, 5));
    expect(host.snapshot().fans[0]?.speedPct).toBeCloseTo(r740.fans.minPct, 3);
  });

  it("leakage doubles every ~19 K and is 10–15 % of TDP at 85 °C", () => {
    expect(leakageW(r740.cpu, 85 + r740.cpu.leakageDoublingK) / leakageW(r740.cpu, 85)).toBeCloseTo(2, 9);
    expect(r740.cpu.leakageDoublingK).toBeGreaterThanOrEqual(17);
    expect(r740.cpu.leakageDoublingK).toBeLessThanOrEqual(21);
    const share = leakageW(r740.cpu, 85) / r740.cpu.tdpW;
    expect(share).toBeGreaterThanOrEqual(0.1);
    expect(share).toBeLessThanOrEqual(0.15);
  });

  it("CPU power follows P(u) = P_idle + (P_max − P_idle)(2u − u^1.4)", () => {
    expect(cpuDemandW(r740.cpu, 0)).toBeCloseTo(r740.cpu.idleW, 9);
    expect(cpuDemandW(r740.cpu, 1)).toBeCloseTo(r740.cpu.maxW, 9);
    expect(cpuDemandW(r740.cpu, 0.5)).toBeCloseTo(r740.cpu.idleW + (r740.cpu.maxW - r740.cpu.idleW) * (1 - 0.5 ** 1.4), 9);
  });

  it("a dead fan raises the die temperature, most behind it", () => {
    const host = nominalHost(r740, { cpuUtil: 0.6, fanPct: 70 });
    const before = host.snapshot().sockets.map((s) => s.dieC);
    host.setFanDead(0, true);
    run(host, 900, inputs(0.6, 70));
    const after = host.snapshot();
    expect(after.fans[0]).toMatchObject({ dead: true, speedPct: 0, rpm: 0, powerW: 0 });
    const [socket0, socket1] = after.sockets.map((s) => s.dieC);
    expect(socket0).toBeGreaterThan((before[0] ?? 0) + 2);
    expect(socket1).toBeGreaterThan(before[1] ?? 0);
    expect(socket0).toBeGreaterThan(socket1 ?? 0);
    // The steady-state solver sees the host's faults too.
    expect(steadyState(host, { cpuUtil: 0.6, inletC: INLET_C, fanPct: 70 }).dieC).toBeCloseTo(socket0 ?? 0, 0);
  });

  it("the liquid profile's die temperature falls as the pump speeds up", () => {
    const dies = [20, 40, 60, 80, 100].map((pumpPct) => steadyState(r750, { cpuUtil: 1, inletC: INLET_C, fanPct: 30, pumpPct }).dieC);
    for (let i = 1; i < dies.length; i++) expect(dies[i]).toBeLessThan(dies[i - 1] ?? 0);
    expect((dies[0] ?? 0) - (dies[dies.length - 1] ?? 0)).toBeGreaterThan(5);
  });

  it("a degraded pump heats the dies of a liquid-cooled host and the pump draws power as the cube of its speed", () => {
    const host = nominalHost(r750, { cpuUtil: 1, pumpPct: 60 });
    const before = host.snapshot();
    expect(before.liquid?.pumpPowerW).toBeCloseTo(18 * 0.6 ** 3, 6);
    expect(before.liquid?.flowLpm).toBeCloseTo(0.6 * (r750.liquid?.maxFlowLpm ?? 0), 6);
    host.setPumpDegraded(0.5);
    run(host, 900, inputs(1, 30, { pumpCmdPct: 60 }));
    const after = host.snapshot();
    expect(after.liquid?.flowLpm).toBeCloseTo(0.3 * (r750.liquid?.maxFlowLpm ?? 0), 6);
    expect(hottestDie(after)).toBeGreaterThan(hottestDie(before) + 1);
    expect(after.liquid?.coolantReturnC).toBeGreaterThan(after.liquid?.coolantSupplyC ?? Number.POSITIVE_INFINITY);
  });

  it("drive temperature rises with disk throughput", () => {
    const host = nominalHost();
    const idleC = host.snapshot().drives.map((d) => d.tempC);
    run(host, 3600, inputs(0.3, 40, { diskMBps: 800 }));
    const busy = host.snapshot().drives;
    busy.forEach((drive, i) => {
      expect(drive.tempC).toBeGreaterThan((idleC[i] ?? 0) + 2);
      expect(drive.powerW).toBeGreaterThan(r740.drives[i]?.idleW ?? 0);
    });
    const quiet = steadyState(r740, { cpuUtil: 0.3, inletC: INLET_C, fanPct: 40 }).driveC[0] ?? 0;
    const loaded = steadyState(r740, { cpuUtil: 0.3, inletC: INLET_C, fanPct: 40, diskMBps: 800 }).driveC[0] ?? 0;
    expect(loaded).toBeGreaterThan(quiet + 2);
  });

  it("air heats along the path: exhaust rise is total air-side heat over airflow and grows as the fans slow", () => {
    const fast = steadyState(r740, { cpuUtil: 1, inletC: INLET_C, fanPct: 90 });
    const slow = steadyState(r740, { cpuUtil: 1, inletC: INLET_C, fanPct: 60 });
    expect(slow.exhaustC).toBeGreaterThan(fast.exhaustC);
    // Everything an air-cooled server draws leaves in its exhaust: ΔT = P / (0.55 W/K per CFM × CFM).
    expect(fast.exhaustC - INLET_C).toBeCloseTo(fast.totalPowerW / (0.55 * 0.9 * r740.fans.totalCfmAt100), 6);
    expect(fast.exhaustC - INLET_C).toBeLessThanOrEqual(15);
  });

  it("time-stepping settles on the steady-state solution", () => {
    const op = { cpuUtil: 0.7, inletC: 27, fanPct: 65, diskMBps: 300 };
    const host = nominalHost();
    run(host, 3000, inputs(op.cpuUtil, op.fanPct, { inletC: op.inletC, diskMBps: op.diskMBps }));
    const snapshot = host.snapshot();
    const steady = steadyState(r740, op);
    expect(hottestDie(snapshot)).toBeCloseTo(steady.dieC, 1);
    expect(snapshot.serverPowerW).toBeCloseTo(steady.totalPowerW, 0);
    expect(snapshot.exhaustC).toBeCloseTo(steady.exhaustC, 1);
  });

  it("per-core temperatures sit at or below the die, the hottest core at the die", () => {
    const snapshot = nominalHost(r740, { cpuUtil: 1, fanPct: 80 }).snapshot();
    for (const socket of snapshot.sockets) {
      expect(socket.coreC).toHaveLength(r740.coresPerSocket);
      expect(Math.max(...socket.coreC)).toBeCloseTo(socket.dieC, 9);
      expect(Math.min(...socket.coreC)).toBeLessThan(socket.dieC - 1);
      expect(Math.min(...socket.coreC)).toBeGreaterThanOrEqual(socket.dieC - 1.5 * r740.cpu.coreSpreadC);
    }
  });
});

describe("SimHost integration and determinism", () => {
  it("one 1 s step and ten 0.1 s steps agree closely through load and fan steps", () => {
    const coarse = nominalHost();
    const fine = nominalHost();
    let worstC = 0;
    for (let t = 0; t < 300; t++) {
      const input = inputs(t < 150 ? 1 : 0.2, t < 100 ? 60 : 90, { diskMBps: 100 });
      coarse.step(1, input);
      for (let k = 0; k < 10; k++) fine.step(0.1, input);
      const a = coarse.snapshot();
      const b = fine.snapshot();
      a.sockets.forEach((s, j) => {
        worstC = Math.max(worstC, Math.abs(s.dieC - (b.sockets[j]?.dieC ?? 0)), Math.abs(s.sinkC - (b.sockets[j]?.sinkC ?? 0)));
      });
      expect(a.timeS).toBeCloseTo(b.timeS, 9);
    }
    expect(worstC).toBeLessThan(0.1);
  });

  it("the same seed gives identical snapshots", () => {
    const run1 = new SimHost({ hostId: "a", profile: r740, seed: 42 });
    const run2 = new SimHost({ hostId: "a", profile: r740, seed: 42 });
    for (let t = 0; t < 120; t++) {
      const input = inputs(t % 40 < 20 ? 0.9 : 0.1, 55, { diskMBps: 200 });
      run1.step(1, input);
      run2.step(1, input);
    }
    expect(run2.snapshot()).toEqual(run1.snapshot());
  });

  it("different seeds give different parameters, each within ±10 % of the profile", () => {
    const a = new SimHost({ hostId: "a", profile: r740, seed: 1 }).params;
    const b = new SimHost({ hostId: "b", profile: r740, seed: 2 }).params;
    const pairs: [number, number, number][] = [
      [a.cpu.maxW, b.cpu.maxW, r740.cpu.maxW],
      [a.cpu.leakageAt85W, b.cpu.leakageAt85W, r740.cpu.leakageAt85W],
      [a.socket.dieToSinkCPerW, b.socket.dieToSinkCPerW, r740.socket.dieToSinkCPerW],
      [a.heatsink?.kCPerW ?? 0, b.heatsink?.kCPerW ?? 0, r740.heatsink?.kCPerW ?? 0],
      [a.fans.totalCfmAt100, b.fans.totalCfmAt100, r740.fans.totalCfmAt100],
      [a.drives[0]?.kCPerW ?? 0, b.drives[0]?.kCPerW ?? 0, r740.drives[0]?.kCPerW ?? 0],
    ];
    for (const [valueA, valueB, nominal] of pairs) {
      expect(valueA).not.toBe(valueB);
      for (const value of [valueA, valueB]) {
        expect(Math.abs(value / nominal - 1)).toBeLessThanOrEqual(SPREAD_FRACTION + 1e-12);
        expect(value).not.toBe(nominal);
      }
    }
    // Design values stay nominal.
    expect(a.tjMaxC).toBe(r740.tjMaxC);
    expect(a.fans.minPct).toBe(r740.fans.minPct);
    expect(a.firmwareFanCurve).toEqual(r740.firmwareFanCurve);
  });

  it("spread: false keeps the profile's parameters exactly, and the spread changes the steady state", () => {
    const nominal = new SimHost({ hostId: "n", profile: r740, seed: 1, spread: false });
    expect(nominal.params).toEqual(r740);
    const spreadDies = [1, 2, 3, 4].map((seed) => steadyState(new SimHost({ hostId: "s", profile: r740, seed }), { cpuUtil: 1, inletC: INLET_C, fanPct: 80 }).dieC);
    expect(new Set(spreadDies.map((d) => d.toFixed(3))).size).toBe(4);
  });

  it("starts in equilibrium at idle under the firmware curve", () => {
    const host = nominalHost();
    const start = host.snapshot();
    const firmware = firmwareSteadyState(r740, { cpuUtil: 0, inletC: INLET_C });
    expect(start.timeS).toBe(0);
    expect(start.fans[0]?.speedPct).toBeCloseTo(firmware.fanPct, 9);
    expect(hottestDie(start)).toBeCloseTo(firmware.dieC, 6);
    run(host, 60, inputs(0, firmware.fanPct));
    expect(hottestDie(host.snapshot())).toBeCloseTo(firmware.dieC, 3);
  });

  it("rejects non-finite inputs, negative steps and unknown fans", () => {
    const host = nominalHost();
    expect(() => host.step(1, inputs(Number.NaN, 50))).toThrow(/cpuUtil/);
    expect(() => host.step(-1, inputs(0.5, 50))).toThrow(/negative/);
    expect(() => host.step(1, { ...inputs(0.5, 50), fanCmdPct: [50, Number.POSITIVE_INFINITY] })).toThrow(/fanCmdPct\[1\]/);
    expect(() => host.setFanDead(6, true)).toThrow(/no fan 6/);
    expect(() => host.setPumpDegraded(1.5)).toThrow(/0\.\.1/);
  });

  it("reports whole-server power as the sum of its parts", () => {
    const snapshot = nominalHost(r750, { cpuUtil: 0.5, diskMBps: 1000 }).snapshot();
    const cpuW = snapshot.sockets.reduce((sum, s) => sum + s.dynamicW + s.leakageW, 0);
    const driveW = snapshot.drives.reduce((sum, d) => sum + d.powerW, 0);
    const platformW = r750.platform.idleW + r750.platform.loadW * 0.5;
    expect(snapshot.serverPowerW).toBeCloseTo(cpuW + driveW + platformW + snapshot.coolingPowerW, 9);
    expect(snapshot.coolingPowerW).toBeCloseTo(snapshot.fans.reduce((sum, f) => sum + f.powerW, 0) + (snapshot.liquid?.pumpPowerW ?? 0), 9);
  });
});

describe("seeded rng", () => {
  it("repeats a sequence for a seed and differs between seeds", () => {
    const draw = (seed: number): number[] => {
      const rng = createRng(seed);
      return Array.from({ length: 5 }, () => rng.next());
    };
    expect(draw(3)).toEqual(draw(3));
    expect(draw(3)).not.toEqual(draw(4));
    for (const x of draw(5)) {
      expect(x).toBeGreaterThanOrEqual(0);
      expect(x).toBeLessThan(1);
    }
  });

  it("forks depend on the label and the seed, not on how much the parent has drawn", () => {
    const fresh = createRng(9);
    const used = createRng(9);
    used.next();
    used.next();
    expect(used.fork("fans").next()).toBe(fresh.fork("fans").next());
    expect(fresh.fork("fans").next()).not.toBe(fresh.fork("drives").next());
    expect(createRng(10).fork("fans").next()).not.toBe(fresh.fork("fans").next());
  });

  it("draws normals with the asked mean and deviation", () => {
    const rng = createRng(11);
    const xs = Array.from({ length: 20_000 }, () => rng.normal(3, 2));
    const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
    const sd = Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / xs.length);
    expect(mean).toBeCloseTo(3, 1);
    expect(sd).toBeCloseTo(2, 1);
  });
});
