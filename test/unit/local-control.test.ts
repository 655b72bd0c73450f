import { afterEach, describe, expect, it, vi } from "vitest";
import type { ActuatorGroupConfig, PidConfig } from "../../src/config/agent-schema.js";
import type { ControlledTemp } from "../../src/agent/controlled-sensors.js";
import { LocalController } from "../../src/agent/local-control.js";
import { SafetyGovernor } from "../../src/agent/governor.js";
import { isCoolfleetError } from "../../src/core/errors.js";

const TARGET_C = 70;

function group(over: Partial<ActuatorGroupConfig> = {}): ActuatorGroupConfig {
  return {
    driver: "hwmon",
    chip: "nct6775",
    channels: [1, 2],
    minPct: 20,
    maxPct: 100,
    failsafePct: 100,
    upSlewPctPerS: 25,
    downSlewPctPerS: 5,
    roles: ["cpu", "drive"],
    ...over,
  };
}

const PID: PidConfig = { kp: 4, ki: 0.15, kd: 0 };

function cpu(tempC: number | null, over: Partial<ControlledTemp> = {}): ControlledTemp {
  return { id: "coretemp.0:Package id 0", role: "cpu", tempC, trusted: tempC !== null, quality: tempC === null ? "missing" : "ok", targetC: TARGET_C, criticalC: 95, required: true, ...over };
}

/** A sensor `marginC` above its target. */
function margin(marginC: number): ControlledTemp[] {
  return [cpu(TARGET_C + marginC)];
}

/**
 * First-order thermal plant: the CPU relaxes (time constant tauS) toward a steady state that falls as the fan
 * speeds up. At 70 °C the fan must run at 55.56 % (60 / (0.5 + 1.5 f) = 45 → f = 0.5556).
 */
function plantStep(tempC: number, fanPct: number, dtS: number): number {
  const steadyC = 25 + 60 / (0.5 + (1.5 * fanPct) / 100);
  const tauS = 20;
  return tempC + ((steadyC - tempC) * dtS) / tauS;
}
const EQUILIBRIUM_PCT = ((60 / 45 - 0.5) / 1.5) * 100;

afterEach(() => {
  vi.useRealTimers();
});

describe("LocalController", () => {
  it("uses dt = periodMs / 1000 and the PID terms on the worst margin", () => {
    const local = new LocalController(PID, group({ minPct: 0 }), 2000);
    // e = 2 °C each tick, dt = 2 s: P = 8, I = 0.15 · Σ(2 · 2)
    expect(local.update(margin(2))).toBeCloseTo(8 + 0.15 * 4, 9);
    expect(local.update(margin(2))).toBeCloseTo(8 + 0.15 * 8, 9);
  });

  it("tracks the worst margin over trusted temps in its roles only", () => {
    const local = new LocalController({ kp: 1, ki: 0, kd: 0 }, group({ minPct: 0, roles: ["cpu", "drive"] }), 1000);
    const temps = [
      cpu(75), // +5
      cpu(99, { id: "untrusted", trusted: false, quality: "stuck" }),
      cpu(90, { id: "inlet", role: "inlet", targetC: 30 }), // +60, but not a role this group cools
      cpu(60, { id: "nvme0", role: "drive", targetC: 50 }), // +10: the worst
    ];
    expect(local.update(temps)).toBeCloseTo(10, 9);
  });

  it("has no derivative kick on the first update", () => {
    const local = new LocalController({ kp: 4, ki: 0.15, kd: 2 }, group({ minPct: 0 }), 1000);
    expect(local.update(margin(5))).toBeCloseTo(20 + 0.75, 9);
    // From the second update on, the derivative acts: +2 · (6 − 5) / 1 s
    expect(local.update(margin(6))).toBeCloseTo(24 + 0.15 * 11 + 2, 9);
  });

  it("gives identical outputs for identical inputs whatever the wall clock does", () => {
    vi.useFakeTimers();
    const a = new LocalController({ kp: 4, ki: 0.15, kd: 1 }, group(), 1000);
    const b = new LocalController({ kp: 4, ki: 0.15, kd: 1 }, group(), 1000);
    const margins = [3, 5, 2, -1, -4, 0, 6, 1];
    let wallAMs = 1_700_000_000_000;
    let wallBMs = 1_700_000_000_000;
    for (const m of margins) {
      wallAMs += 1; // a runs 1 ms apart...
      vi.setSystemTime(wallAMs);
      const outA = a.update(margin(m));
      wallBMs += 3_600_000; // ...b an hour apart
      vi.setSystemTime(wallBMs);
      const outB = b.update(margin(m));
      expect(outA).toBe(outB);
    }
  });

  it.each([
    ["far above target", 50, 100],
    ["far below target", -50, 20],
  ])("clamps to [minPct, maxPct] when %s", (_label, marginC, expectedPct) => {
    const local = new LocalController(PID, group(), 1000);
    for (let i = 0; i < 10; i++) expect(local.update(margin(marginC))).toBe(expectedPct);
  });

  it("returns undefined when no trusted temp is in its roles, and has no derivative kick when they return", () => {
    const local = new LocalController({ kp: 4, ki: 0, kd: 10 }, group({ minPct: 0 }), 1000);
    expect(local.update(margin(1))).toBeCloseTo(4, 9);
    expect(local.update([cpu(null)])).toBeUndefined();
    expect(local.update([cpu(80, { trusted: false, quality: "stale" })])).toBeUndefined();
    expect(local.update([cpu(80, { role: "inlet" })])).toBeUndefined();
    expect(local.update([])).toBeUndefined();
    expect(local.update(margin(6))).toBeCloseTo(24, 9); // not 24 + 10 · (6 − 1)
  });

  describe("anti-windup", () => {
    it("leaves full output promptly when the error turns negative after a long saturated period", () => {
      const local = new LocalController(PID, group(), 1000);
      local.bumpTo(50, margin(0));
      let saturatedPct: number | undefined;
      for (let i = 0; i < 600; i++) saturatedPct = local.update(margin(10));
      expect(saturatedPct).toBe(100);
      // The integrator stopped where the output first saturated (≈ 60 %), not at its i_max of 100 %/ki.
      const after = local.update(margin(-1));
      expect(after).toBeDefined();
      expect(after!).toBeLessThan(70);
    });

    it("leaves minimum output promptly when the error turns positive after a long cold period", () => {
      const local = new LocalController(PID, group(), 1000);
      local.bumpTo(50, margin(0));
      let saturatedPct: number | undefined;
      for (let i = 0; i < 600; i++) saturatedPct = local.update(margin(-10));
      expect(saturatedPct).toBe(20);
      const after = local.update(margin(1));
      expect(after!).toBeGreaterThan(40);
    });
  });

  describe("bumpless transfer", () => {
    it("continues from the output it takes over, for the given temps", () => {
      const local = new LocalController(PID, group(), 1000);
      for (let i = 0; i < 30; i++) local.update(margin(-3));
      local.bumpTo(63, margin(2));
      // Only one integration step (ki · 2 °C · 1 s = 0.3 %) separates the next output from the bump level.
      expect(local.update(margin(2))).toBeCloseTo(63.3, 6);
    });

    it("uses the last seen margin when no temps are given", () => {
      const local = new LocalController(PID, group(), 1000);
      local.update(margin(1));
      local.bumpTo(45);
      expect(local.update(margin(1))).toBeCloseTo(45.15, 6);
    });

    it("has no derivative kick after a bump", () => {
      const local = new LocalController({ kp: 4, ki: 0.15, kd: 5 }, group(), 1000);
      local.update(margin(0));
      local.bumpTo(60, margin(3));
      expect(local.update(margin(3))).toBeCloseTo(60.45, 6); // not 60.45 + 5 · 3
    });

    it("clamps the bump level to the group's bounds", () => {
      const local = new LocalController(PID, group({ maxPct: 80 }), 1000);
      local.bumpTo(100, margin(0));
      expect(local.update(margin(0))).toBeCloseTo(80, 6);
    });
  });

  it("brings a simulated CPU to its target and holds it there", () => {
    const local = new LocalController(PID, group(), 1000);
    let tempC = 90;
    let fanPct = 0;
    for (let tick = 0; tick < 600; tick++) {
      fanPct = local.update([cpu(tempC)])!;
      tempC = plantStep(tempC, fanPct, 1);
    }
    expect(tempC).toBeCloseTo(TARGET_C, 1);
    expect(fanPct).toBeCloseTo(EQUILIBRIUM_PCT, 1);
  });

  it("still converges when its demand goes through the governor's slew limits", () => {
    const g = group();
    const local = new LocalController(PID, g, 1000);
    const governor = new SafetyGovernor(g, { hysteresisC: 3, overrideHoldS: 15 });
    let tempC = 60;
    let fanPct = 100;
    for (let tick = 0; tick < 900; tick++) {
      const temps = [cpu(tempC)];
      const decision = governor.decide({ nowMs: tick * 1000, temps, demandPct: local.update(temps), source: "local" });
      expect(decision.mode).toBe("local");
      fanPct = decision.outputPct;
      tempC = plantStep(tempC, fanPct, 1);
    }
    expect(tempC).toBeCloseTo(TARGET_C, 1);
    expect(fanPct).toBeCloseTo(EQUILIBRIUM_PCT, 1);
  });

  it("refuses a non-positive period and inverted bounds", () => {
    expect(() => new LocalController(PID, group(), 0)).toThrow(/periodMs/);
    let caught: unknown;
    try {
      new LocalController(PID, group({ minPct: 90, maxPct: 50 }), 1000);
    } catch (err) {
      caught = err;
    }
    expect(isCoolfleetError(caught, "CONFIG_INVALID")).toBe(true);
  });
});
