import { describe, expect, it } from "vitest";
import type { ActuatorGroupConfig } from "../../src/config/agent-schema.js";
import type { ControlledTemp } from "../../src/agent/controlled-sensors.js";
import { SafetyGovernor, type GovernorControlConfig, type GovernorDecision } from "../../src/agent/governor.js";
import { isCoolfleetError } from "../../src/core/errors.js";

const CRITICAL_C = 95;
const CONTROL: GovernorControlConfig = { hysteresisC: 3, overrideHoldS: 15 };

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

function cpu(tempC: number | null, over: Partial<ControlledTemp> = {}): ControlledTemp {
  return {
    id: "coretemp.0:Package id 0",
    role: "cpu",
    tempC,
    trusted: tempC !== null,
    quality: tempC === null ? "missing" : "ok",
    targetC: 70,
    criticalC: CRITICAL_C,
    required: true,
    ...over,
  };
}

const drive = (tempC: number, over: Partial<ControlledTemp> = {}): ControlledTemp =>
  cpu(tempC, { id: "nvme0:Composite", role: "drive", targetC: 50, criticalC: 70, required: false, ...over });

const COOL = [cpu(60)];

/** A governor already settled at `pct` (local control), at time 0. */
function settledAt(pct: number, g = group(), control = CONTROL): SafetyGovernor {
  const governor = new SafetyGovernor(g, control, { startPct: pct });
  expect(governor.decide({ nowMs: 0, temps: COOL, demandPct: pct, source: "local" })).toEqual({ outputPct: pct, mode: "local" });
  return governor;
}

describe("SafetyGovernor", () => {
  describe("failsafe", () => {
    it.each([
      ["a required sensor is stale", [cpu(60), cpu(80, { id: "coretemp.1:Package id 0", trusted: false, quality: "stale" })], 40, /coretemp\.1:Package id 0 stale/],
      ["a required sensor is missing", [cpu(null), drive(40)], 40, /coretemp\.0:Package id 0 missing/],
      ["a required sensor says ok but has no value", [cpu(null, { trusted: true, quality: "ok" }), drive(40)], 40, /has no value/],
      ["no sensor in the group's roles is trusted", [drive(40, { trusted: false, quality: "stuck" }), cpu(30, { role: "inlet", required: false })], 40, /no trusted sensor for roles cpu, drive/],
      ["there are no temps at all", [], 40, /no trusted sensor/],
      ["the demand is undefined", COOL, undefined, /no usable local demand \(undefined\)/],
      ["the demand is NaN", COOL, NaN, /no usable local demand \(NaN\)/],
      ["the demand is Infinity", COOL, Infinity, /no usable local demand \(Infinity\)/],
      ["the demand is -Infinity", COOL, -Infinity, /no usable local demand/],
    ])("goes to failsafePct at once, without slew, when %s", (_label, temps, demandPct, reason) => {
      const governor = settledAt(30, group({ failsafePct: 90 }));
      const decision = governor.decide({ nowMs: 100, temps, demandPct, source: "local" });
      expect(decision.mode).toBe("failsafe");
      expect(decision.outputPct).toBe(90); // 0.1 s of up slew would only allow 32.5
      expect(decision.reason).toMatch(reason);
    });

    it("applies to every group: a required CPU sensor failing puts a pump that only cools coolant at failsafe too", () => {
      const pump = new SafetyGovernor(group({ roles: ["coolant"], failsafePct: 80 }), CONTROL, { startPct: 40 });
      const coolant = cpu(30, { id: "cdu:coolant", role: "coolant", required: false });
      expect(pump.decide({ nowMs: 0, temps: [cpu(70), coolant], demandPct: 40, source: "local" }).mode).toBe("local");
      const temps = [cpu(70, { trusted: false, quality: "rate" }), coolant];
      expect(pump.decide({ nowMs: 1000, temps, demandPct: 40, source: "local" })).toMatchObject({ outputPct: 80, mode: "failsafe" });
    });

    it("ignores a bad sensor that is not required while a trusted one remains in the roles", () => {
      const governor = settledAt(30);
      const temps = [cpu(60), drive(40, { trusted: false, quality: "stale" })];
      expect(governor.decide({ nowMs: 1000, temps, demandPct: 30, source: "local" })).toEqual({ outputPct: 30, mode: "local" });
    });

    it("can go below minPct when failsafePct is configured there, and ramps back from it", () => {
      const governor = settledAt(50, group({ minPct: 20, failsafePct: 10 }));
      expect(governor.decide({ nowMs: 1000, temps: COOL, demandPct: undefined, source: "local" }).outputPct).toBe(10);
      // Bounds beat slew: back at minPct at once, then up by 25 %/s.
      expect(governor.decide({ nowMs: 1100, temps: COOL, demandPct: 80, source: "local" }).outputPct).toBe(20);
      expect(governor.decide({ nowMs: 2100, temps: COOL, demandPct: 80, source: "local" }).outputPct).toBe(45);
    });

    it("lowers from failsafe through the down slew limit when the sensor recovers", () => {
      const governor = settledAt(30);
      governor.decide({ nowMs: 1000, temps: [cpu(null)], demandPct: 30, source: "local" });
      expect(governor.decide({ nowMs: 2000, temps: COOL, demandPct: 30, source: "local" })).toMatchObject({ outputPct: 95, mode: "local" });
    });
  });

  describe("over-temperature override", () => {
    it.each([
      ["at criticalC", CRITICAL_C],
      ["above criticalC", CRITICAL_C + 4],
    ])("forces maxPct at once when a trusted temp is %s", (_label, tempC) => {
      const governor = settledAt(30, group({ maxPct: 90 }));
      const decision = governor.decide({ nowMs: 100, temps: [cpu(tempC)], demandPct: 30, source: "local" });
      expect(decision).toMatchObject({ outputPct: 90, mode: "override" });
      expect(decision.reason).toMatch(/coretemp\.0:Package id 0 .* ≥ critical 95/);
    });

    it("ignores an untrusted reading at critical, and a critical sensor in a role the group does not cool", () => {
      const governor = settledAt(30);
      const temps = [cpu(60), drive(99, { trusted: false, quality: "out_of_range" }), cpu(99, { id: "inlet", role: "inlet", required: false })];
      expect(governor.decide({ nowMs: 100, temps, demandPct: 30, source: "local" })).toEqual({ outputPct: 30, mode: "local" });
    });

    it("also fires on a drive at its own criticalC", () => {
      const governor = settledAt(30);
      expect(governor.decide({ nowMs: 100, temps: [cpu(60), drive(70)], demandPct: 30, source: "local" }).mode).toBe("override");
    });

    it("holds until every temp has been below criticalC − hysteresisC for overrideHoldS, then slews down", () => {
      const governor = settledAt(30);
      const step = (nowMs: number, tempC: number): GovernorDecision =>
        governor.decide({ nowMs, temps: [cpu(tempC)], demandPct: 30, source: "remote" });

      expect(step(1_000, 96).mode).toBe("override");
      // criticalC − 1 is not enough with 3 °C hysteresis, however long it lasts.
      for (let t = 2_000; t <= 120_000; t += 1_000) expect(step(t, CRITICAL_C - 1)).toMatchObject({ mode: "override", outputPct: 100 });
      // Exactly criticalC − hysteresisC is not below it.
      expect(step(121_000, CRITICAL_C - 3).mode).toBe("override");
      // Below: the hold starts at 122 s...
      expect(step(122_000, 91.9).reason).toMatch(/holding override: below critical − 3 °C for 0 s of 15 s/);
      // ...a sample back in the band restarts it...
      expect(step(130_000, 93).mode).toBe("override");
      expect(step(131_000, 80).mode).toBe("override");
      expect(step(145_000, 80).mode).toBe("override");
      // ...and 15 s after the restart it hands back, lowering through the down slew limit (5 %/s).
      expect(step(146_000, 80)).toMatchObject({ mode: "remote", outputPct: 95 });
      expect(step(148_000, 80)).toMatchObject({ mode: "remote", outputPct: 85 });
    });

    it("does not leave while a sensor in its roles is untrusted", () => {
      const governor = settledAt(30);
      governor.decide({ nowMs: 0, temps: [cpu(60), drive(75)], demandPct: 30, source: "local" });
      for (let t = 1_000; t <= 60_000; t += 1_000) {
        const decision = governor.decide({ nowMs: t, temps: [cpu(60), drive(75, { trusted: false, quality: "stuck" })], demandPct: 30, source: "local" });
        expect(decision.mode).toBe("override");
        expect(decision.reason).toMatch(/nvme0:Composite stuck/);
      }
      expect(governor.inOverride).toBe(true);
    });

    it("leaves at once after the drop when overrideHoldS is 0", () => {
      const governor = settledAt(30, group(), { hysteresisC: 3, overrideHoldS: 0 });
      governor.decide({ nowMs: 1000, temps: [cpu(95)], demandPct: 30, source: "local" });
      expect(governor.decide({ nowMs: 2000, temps: [cpu(91)], demandPct: 30, source: "local" }).mode).toBe("local");
    });
  });

  describe("precedence: failsafe, then override, then the demand", () => {
    // failsafePct 50, maxPct 85: in failsafe while a sensor is critical the output is max(failsafePct, maxPct),
    // because a blind spot must never cool less than the override would.
    it.each([
      ["failsafe beats override", [cpu(99), drive(40, { required: true, trusted: false, quality: "stale" })], 30, "remote", "failsafe", 85],
      ["failsafe (no demand) beats override", [cpu(99)], undefined, "local", "failsafe", 85],
      ["override beats a remote demand", [cpu(99)], 20, "remote", "override", 85],
      ["override beats a local demand", [cpu(99)], 20, "local", "override", 85],
      ["failsafe beats a remote demand", [cpu(null)], 80, "remote", "failsafe", 50],
    ] as const)("%s", (_label, temps, demandPct, source, mode, outputPct) => {
      const governor = settledAt(30, group({ failsafePct: 50, maxPct: 85 }));
      const decision = governor.decide({ nowMs: 1000, temps: [...temps], demandPct, source });
      expect(decision.mode).toBe(mode);
      expect(decision.outputPct).toBe(outputPct);
    });

    it("reports both causes when failsafe and override coincide", () => {
      const governor = settledAt(30, group({ failsafePct: 50 }));
      const decision = governor.decide({ nowMs: 1000, temps: [cpu(99), cpu(null, { id: "coretemp.1:Package id 0" })], demandPct: 30, source: "local" });
      expect(decision).toMatchObject({ mode: "failsafe", outputPct: 100 });
      expect(decision.reason).toMatch(/coretemp\.1:Package id 0 missing.*over temperature/);
    });
  });

  describe("bounds and slew limits", () => {
    it.each([
      // [previous pct, demand pct, elapsed ms, expected pct]
      [20, 100, 1_000, 45], // up 25 %/s
      [20, 100, 200, 25],
      [20, 100, 3_000, 95],
      [20, 30, 3_000, 30], // reaches the demand, no overshoot
      [100, 20, 1_000, 95], // down 5 %/s
      [100, 20, 2_500, 87.5],
      [100, 20, 60_000, 20],
      [50, 150, 10_000, 100], // clamped to maxPct
      [50, -5, 60_000, 20], // clamped to minPct
    ])("from %s %% toward %s %% over %s ms gives %s %%", (prevPct, demandPct, elapsedMs, expectedPct) => {
      const governor = settledAt(prevPct);
      const decision = governor.decide({ nowMs: elapsedMs, temps: COOL, demandPct, source: "remote" });
      expect(decision.mode).toBe("remote");
      expect(decision.outputPct).toBeCloseTo(expectedPct, 9);
      if (decision.outputPct !== demandPct) expect(decision.reason).toBeDefined();
    });

    it("measures slew with the real elapsed time between decisions, not a nominal period", () => {
      const governor = settledAt(100);
      const times = [300, 1_300, 1_400, 5_400];
      const outputs = times.map((nowMs) => governor.decide({ nowMs, temps: COOL, demandPct: 20, source: "local" }).outputPct);
      expect(outputs.map((p) => Math.round(p * 1000) / 1000)).toEqual([98.5, 93.5, 93, 73]);
    });

    it("starts from maxPct: the first decision assumes full cooling and lowers only through the slew limit", () => {
      const governor = new SafetyGovernor(group({ maxPct: 90 }), CONTROL);
      expect(governor.decide({ nowMs: 5_000, temps: COOL, demandPct: 30, source: "local" }).outputPct).toBe(90);
      expect(governor.decide({ nowMs: 6_000, temps: COOL, demandPct: 30, source: "local" }).outputPct).toBe(85);
    });

    it("does not move, nor produce NaN, when the clock steps backwards", () => {
      const governor = settledAt(100);
      governor.decide({ nowMs: 10_000, temps: COOL, demandPct: 20, source: "local" });
      expect(governor.decide({ nowMs: 5_000, temps: COOL, demandPct: 20, source: "local" }).outputPct).toBe(50);
      expect(governor.decide({ nowMs: 6_000, temps: COOL, demandPct: 20, source: "local" }).outputPct).toBe(45);
    });

    it("keeps every output finite and in bounds, and every step within the slew limits, under random inputs", () => {
      const g = group({ minPct: 25, maxPct: 85, failsafePct: 95, upSlewPctPerS: 10, downSlewPctPerS: 3 });
      const governor = new SafetyGovernor(g, CONTROL);
      const rand = mulberry32(0xc001f1ee7);
      const pick = <T>(items: readonly T[]): T => items[Math.floor(rand() * items.length)]!;
      const specials = [NaN, Infinity, -Infinity, undefined, -1e9, 1e9, -0, 0, 100, 101];
      let nowMs = 0;
      let prev: GovernorDecision | undefined;
      for (let i = 0; i < 5_000; i++) {
        const elapsedMs = pick([0, 1, 50, 500, 1000, 1000, 1000, 7000]);
        nowMs += elapsedMs;
        const demandPct = rand() < 0.1 ? pick(specials) : rand() * 160 - 30;
        const tempC = rand() < 0.02 ? null : 40 + rand() * 60;
        const temps = [cpu(tempC, { required: rand() < 0.5 }), drive(30 + rand() * 35)];
        const decision = governor.decide({ nowMs, temps, demandPct, source: rand() < 0.5 ? "local" : "remote" });

        expect(Number.isFinite(decision.outputPct)).toBe(true);
        expect(decision.outputPct).toBeGreaterThanOrEqual(0);
        expect(decision.outputPct).toBeLessThanOrEqual(100);
        if (decision.mode === "failsafe") {
          expect([95]).toContain(decision.outputPct);
        } else {
          expect(decision.outputPct).toBeGreaterThanOrEqual(25);
          expect(decision.outputPct).toBeLessThanOrEqual(85);
        }
        if (decision.mode === "override") expect(decision.outputPct).toBe(85);
        if ((decision.mode === "local" || decision.mode === "remote") && prev && prev.mode !== "failsafe") {
          const deltaPct = decision.outputPct - prev.outputPct;
          expect(deltaPct).toBeLessThanOrEqual((10 * elapsedMs) / 1000 + 1e-9);
          expect(deltaPct).toBeGreaterThanOrEqual((-3 * elapsedMs) / 1000 - 1e-9);
        }
        if (decision.reason !== undefined) expect(decision.reason.length).toBeLessThanOrEqual(200);
        prev = decision;
      }
    });
  });

  it("caps reasons at 200 characters and names at most 3 sensors", () => {
    const governor = settledAt(30);
    const temps = Array.from({ length: 8 }, (_, i) => cpu(null, { id: `very-long-sensor-name-${"x".repeat(60)}-${i}` }));
    const reason = governor.decide({ nowMs: 1000, temps, demandPct: 30, source: "local" }).reason ?? "";
    expect(reason.length).toBeLessThanOrEqual(200);
  });

  it("refuses minPct above maxPct", () => {
    let caught: unknown;
    try {
      new SafetyGovernor(group({ minPct: 90, maxPct: 50 }), CONTROL);
    } catch (err) {
      caught = err;
    }
    expect(isCoolfleetError(caught, "CONFIG_INVALID")).toBe(true);
  });
});

/** Small seeded PRNG so the property loop is reproducible. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
