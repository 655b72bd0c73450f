import { describe, expect, it } from "vitest";
import { CduFirmware, SimulatedCdu } from "../../firmware-sim/cdu/index.js";
import { loadProfile, SimHost } from "../../firmware-sim/index.js";
import { ManualClock } from "../../src/core/clock.js";
import { loadRegisterMap, valueToRaw } from "../../src/hardware/modbus/index.js";

function makeCdu(clock = new ManualClock(), opts: { map?: "orv3-rpu" | "simple-pump-drive"; profile?: string } = {}) {
  const physics = new SimHost({ hostId: "h", profile: loadProfile(opts.profile ?? "poweredge-r750-liquid"), seed: 2, spread: false, initial: { cpuUtil: 0.7 } });
  return new SimulatedCdu({ map: loadRegisterMap(opts.map ?? "orv3-rpu"), physics, clock, leaseS: 30, inputs: () => ({ cpuUtil: 0.7, diskMBps: 0, inletC: 25, fanCmdPct: [40] }) });
}

function stepFor(cdu: SimulatedCdu, seconds: number): void {
  for (let t = 0; t < seconds; t += 0.5) cdu.step(0.5);
}

describe("CDU firmware", () => {
  const behaviours = { manual: "manual", auto1: "hold_temp", auto2: "hold_flow" } as const;

  it("lapses from manual back to the automatic mode it left when the lease is not renewed", () => {
    const clock = new ManualClock();
    const fw = new CduFirmware({ clock, behaviours, autoMode: "auto1", leaseS: 30, defaultDutyPct: 60, targetTempC: 38, targetFlowLpm: 2 });
    fw.setMode("auto2");
    fw.setMode("manual");
    fw.setDutySetpoint(90);
    clock.advance(20_000);
    fw.setDutySetpoint(90); // renewed: the lease runs from here
    clock.advance(29_000);
    expect(fw.mode()).toBe("manual");
    clock.advance(1_000);
    expect(fw.mode()).toBe("auto2");
    expect(fw.leaseLapses).toBe(1);
  });

  it("a set-point written in automatic mode waits for manual and starts no lease", () => {
    const clock = new ManualClock();
    const fw = new CduFirmware({ clock, behaviours, autoMode: "auto1", leaseS: 30, defaultDutyPct: 60, targetTempC: 38, targetFlowLpm: 2 });
    fw.setDutySetpoint(25);
    clock.advance(60_000);
    expect([fw.mode(), fw.leaseLapses, fw.dutySetpointPct]).toEqual(["auto1", 0, 25]);
  });

  it("refuses an automatic mode that is not automatic", () => {
    expect(() => new CduFirmware({ clock: new ManualClock(), behaviours, autoMode: "manual", leaseS: 1, defaultDutyPct: 60, targetTempC: 38, targetFlowLpm: 2 })).toThrow(/auto mode "manual"/);
  });
});

describe("SimulatedCdu", () => {
  it("serves the liquid loop at the registers' resolution", () => {
    const cdu = makeCdu();
    stepFor(cdu, 5);
    const l = cdu.liquid();
    expect(cdu.read("holding", 37527)).toBe(Math.round(l.flowLpm * 100));
    expect(cdu.read("holding", 37520)).toBe(Math.round(l.coolantSupplyC * 10));
    expect(cdu.read("holding", 37521)).toBe(Math.round(l.coolantReturnC * 10));
    expect(cdu.read("holding", 36865)).toBe(Math.round(l.pumpRpm));
    expect(cdu.read("holding", 36870)).toBe(Math.round(l.pumpRpm));
    expect(cdu.read("holding", 37904)).toBe(1);
    expect(cdu.read("holding", 37522)).toBeUndefined();
    expect(cdu.read("input", 37527)).toBeUndefined();
  });

  it("refuses writes with the exception a real unit would give", () => {
    const cdu = makeCdu();
    expect(cdu.checkWrite(37527, 5)).toBe(2); // read-only
    expect(cdu.checkWrite(37000, 5)).toBe(2); // unmapped
    expect(cdu.checkWrite(37911, 101)).toBe(3);
    expect(cdu.checkWrite(37904, 9)).toBe(3); // no such mode
    expect(cdu.checkWrite(37918, valueToRaw({ name: "t", type: "s16", scale: 0.1 }, 70))).toBe(3);
    expect(cdu.checkWrite(37911, 100)).toBeUndefined();
  });

  it("drives the pump from the duty in manual mode and returns to automatic when the lease lapses", () => {
    const clock = new ManualClock();
    const cdu = makeCdu(clock);
    cdu.write(37904, 0);
    cdu.write(37911, 25);
    stepFor(cdu, 20);
    expect(cdu.liquid().pumpSpeedPct).toBeCloseTo(25, 0);
    const lowFlow = cdu.liquid().flowLpm;
    clock.advance(31_000);
    expect(cdu.mode()).toBe("auto1");
    expect(cdu.read("holding", 37904)).toBe(1);
    stepFor(cdu, 20);
    expect(cdu.pumpCmdPct()).not.toBe(25);
    expect(cdu.liquid().flowLpm).not.toBeCloseTo(lowFlow, 2);
  });

  it("holds flow in auto2, compensating a degraded pump", () => {
    const cdu = makeCdu();
    cdu.write(37914, 200); // 2.00 Lpm
    cdu.write(37904, 2);
    stepFor(cdu, 60);
    expect(cdu.liquid().flowLpm).toBeCloseTo(2, 1);
    const healthyCmd = cdu.pumpCmdPct();
    cdu.setPumpDegraded(0.7);
    stepFor(cdu, 90);
    expect(cdu.liquid().flowLpm).toBeCloseTo(2, 1);
    expect(cdu.pumpCmdPct()).toBeGreaterThan(healthyCmd + 10);
  });

  it("raises the pump in auto1 as the coolant return warms", () => {
    const cdu = makeCdu();
    cdu.write(37918, valueToRaw({ name: "t", type: "s16", scale: 0.1 }, 30));
    stepFor(cdu, 5);
    const warmCmd = cdu.pumpCmdPct();
    cdu.write(37918, valueToRaw({ name: "t", type: "s16", scale: 0.1 }, 50));
    stepFor(cdu, 5);
    expect(warmCmd).toBeGreaterThan(cdu.pumpCmdPct());
  });

  it("sets and clears named leak bits, and rejects names the map lacks", () => {
    const cdu = makeCdu();
    cdu.setLeak("rack_leak", true);
    cdu.setLeak("cdu_internal_leak", true);
    expect(cdu.read("holding", 37519)).toBe(0b101);
    cdu.setLeak("rack_leak", false);
    expect(cdu.read("holding", 37519)).toBe(0b100);
    expect(() => cdu.setLeak("floor_leak", true)).toThrow(/no leak_flags bit "floor_leak"; known: rack_leak, tray_leak/);
  });

  it("serves the simple pump drive's input registers and fault word", () => {
    const cdu = makeCdu(new ManualClock(), { map: "simple-pump-drive" });
    stepFor(cdu, 2);
    expect(cdu.read("input", 1)).toBe(Math.round(cdu.liquid().pumpRpm));
    expect(cdu.read("input", 2)).toBe(Math.round(cdu.liquid().pumpPowerW * 10));
    cdu.setFault("dry_run", true);
    expect(cdu.read("input", 3)).toBe(0b10);
  });

  it("needs a liquid-cooled host", () => {
    expect(() => makeCdu(new ManualClock(), { profile: "poweredge-r740-air" })).toThrow(/has no liquid loop/);
  });
});
