import { describe, expect, it } from "vitest";
import { PlausibilityChecker } from "../../src/agent/plausibility.js";
import { globMatch } from "../../src/agent/controlled-sensors.js";
import { sensorRoleResolver } from "../../src/agent/plausibility-roles.js";
import { PlausibilityConfig } from "../../src/config/agent-schema.js";
import type { RawReading } from "../../src/hardware/binding.js";
import type { ReadingQuality } from "../../src/protocol/index.js";

const T0 = 1_700_000_000_000;
const DEFAULTS = PlausibilityConfig.parse({}); // stuckAfterS 20

type Series = Record<string, (tS: number) => number>;

/** Runs the checker once a second for durationS; returns each sensor's quality per second. */
function run(series: Series, durationS: number, checker = new PlausibilityChecker(DEFAULTS)): Record<string, ReadingQuality[]> {
  const out: Record<string, ReadingQuality[]> = {};
  for (let t = 0; t <= durationS; t++) {
    const nowMs = T0 + t * 1000;
    const raws: RawReading[] = Object.entries(series).map(([id, f]) =>
      id === "cpu:util"
        ? { id, kind: "load", unit: "pct", value: f(t), sampledAtMs: nowMs }
        : { id, kind: "temperature", unit: "C", value: f(t), sampledAtMs: nowMs },
    );
    for (const r of checker.check(raws, nowMs)) (out[r.id] ??= []).push(r.quality);
  }
  return out;
}

const steady = (c: number) => (): number => c;
const ramp = (fromC: number, perS: number) => (t: number): number => fromC + perS * t;
const firstStuckAt = (qualities: ReadingQuality[] | undefined): number => qualities?.indexOf("stuck") ?? -2;

describe("PlausibilityChecker: stuck sensors", () => {
  it("does not flag an idle machine whose sensors all sit still", () => {
    const q = run({ "coretemp.0:Core 0": steady(38), "coretemp.0:Core 1": steady(39), "cpu:util": steady(2) }, 120);
    expect(new Set(q["coretemp.0:Core 0"])).toEqual(new Set(["ok"]));
    expect(new Set(q["coretemp.0:Core 1"])).toEqual(new Set(["ok"]));
  });

  it("does not flag a steady sensor while its peers wander by less than 3 °C", () => {
    const q = run({ "coretemp.0:Core 0": steady(40), "coretemp.0:Core 1": (t) => 40 + (t % 3) }, 60);
    expect(q["coretemp.0:Core 0"]).not.toContain("stuck");
  });

  it("flags a frozen sensor once its chip peer has moved 3 °C and it sat still for stuckAfterS", () => {
    const q = run({ "coretemp.0:Core 0": steady(50), "coretemp.0:Core 1": ramp(50, 0.5) }, 40);
    expect(firstStuckAt(q["coretemp.0:Core 0"])).toBe(20);
    expect(q["coretemp.0:Core 1"]).not.toContain("stuck");
  });

  it("flags a frozen CPU sensor while the CPU load swings 25 points", () => {
    const q = run({ "coretemp.0:Package id 0": steady(60), "cpu:util": (t) => (t < 10 ? 5 : 90) }, 30);
    expect(firstStuckAt(q["coretemp.0:Package id 0"])).toBe(20);
  });

  it("does not take CPU load as evidence against a drive sensor", () => {
    const q = run({ "drivetemp.0:0:0:0:temp1": steady(36), "cpu:util": (t) => (t < 10 ? 5 : 90) }, 60);
    expect(q["drivetemp.0:0:0:0:temp1"]).not.toContain("stuck");
  });

  it("uses roles across chips: a frozen drive while another drive warms", () => {
    const q = run({ "drivetemp.0:0:0:0:temp1": steady(36), "drivetemp.1:0:0:0:temp1": ramp(36, 0.25) }, 40);
    expect(firstStuckAt(q["drivetemp.0:0:0:0:temp1"])).toBe(20);
  });

  it("stays stuck after the peer settles, until the value changes again", () => {
    const frozenUntil = 50;
    const q = run(
      {
        "coretemp.0:Core 0": (t) => (t < frozenUntil ? 50 : 51),
        "coretemp.0:Core 1": (t) => (t < 10 ? 50 + t : 60),
      },
      55,
    );
    const core0 = q["coretemp.0:Core 0"]!;
    expect(core0.slice(20, frozenUntil)).toEqual(new Array(frozenUntil - 20).fill("stuck"));
    expect(core0[frozenUntil]).toBe("ok");
  });

  it("does not count a peer's spikes as movement", () => {
    const q = run({ "coretemp.0:Core 0": steady(50), "coretemp.0:Core 1": (t) => (t % 10 === 5 ? 99 : 50) }, 60);
    expect(q["coretemp.0:Core 0"]).not.toContain("stuck");
    expect(q["coretemp.0:Core 1"]).toContain("rate");
  });

  it("groups by the configured roles when given a resolver", () => {
    const roleOf = sensorRoleResolver([{ match: "nct6798:CPUTIN", role: "cpu" }]);
    const checker = new PlausibilityChecker(DEFAULTS, roleOf);
    const q = run({ "nct6798:CPUTIN": steady(45), "coretemp.0:Package id 0": ramp(45, 0.5) }, 30, checker);
    expect(firstStuckAt(q["nct6798:CPUTIN"])).toBe(20);
  });
});

describe("sensorRoleResolver", () => {
  it("takes the first matching glob, then falls back to the chip name", () => {
    const roleOf = sensorRoleResolver([
      { match: "nct6798:SYSTIN", role: "inlet" },
      { match: "coretemp.*:Package id *", role: "cpu" },
      { match: "*", role: "other" },
    ]);
    expect(roleOf("nct6798:SYSTIN")).toBe("inlet");
    expect(roleOf("coretemp.1:Package id 1")).toBe("cpu");
    expect(roleOf("drivetemp.0:0:0:0:temp1")).toBe("other");
    expect(sensorRoleResolver([])("drivetemp.0:0:0:0:temp1")).toBe("drive");
    expect(sensorRoleResolver([])("nct6798:AUXTIN0")).toBeUndefined();
  });

  it("treats glob characters other than * literally", () => {
    expect(globMatch("d5next:Flow speed [dL/h]", "d5next:Flow speed [dL/h]")).toBe(true);
    expect(globMatch("coretemp.*", "coretempX0:Core 1")).toBe(false);
  });
});
