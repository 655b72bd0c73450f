import { describe, expect, it } from "vitest";
import type { TemperatureLimit } from "../../src/config/agent-schema.js";
import type { Reading } from "../../src/protocol/index.js";
import {
  globMatch,
  matchLimits,
  unmatchedLimits,
  worstMarginC,
  type ControlledTemp,
} from "../../src/agent/controlled-sensors.js";

function limit(match: string, over: Partial<TemperatureLimit> = {}): TemperatureLimit {
  return { match, role: "cpu", targetC: 70, criticalC: 95, required: false, ...over };
}

function reading(id: string, value: number | null, over: Partial<Reading> = {}): Reading {
  return { id, kind: "temperature", value, unit: "C", quality: "ok", ...over };
}

describe("globMatch", () => {
  it.each([
    ["coretemp.*:Package id *", "coretemp.0:Package id 0", true],
    ["coretemp.*:Package id *", "coretemp.0:Core 3", false],
    ["nvme*", "nvme0", true],
    ["nvme*", "nvme", true],
    ["*", "", true],
    ["", "x", false],
    ["", "", true],
    ["a*b", "ab", true],
    ["a*b", "aXYb", true],
    ["a*b", "aXbY", false], // whole id, not a substring
    ["b", "abc", false],
    ["a*b*c", "aXbYbZc", true],
    ["a**b", "ab", true],
    ["*x", "xxxxy", false],
    ["a.b", "aXb", false], // "." is literal, not a regex wildcard
    ["a.b", "a.b", true],
    ["a?b", "aXb", false], // "?" is literal
    ["a?b", "a?b", true],
    ["[ab]", "a", false], // so are brackets
    ["[ab]", "[ab]", true],
    ["Core (0)", "Core (0)", true],
  ])("%j matches %j: %s", (pattern, id, expected) => {
    expect(globMatch(pattern, id)).toBe(expected);
  });

  it("remembers its answers without changing them, past its bounds too", () => {
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 6_000; i++) {
        expect(globMatch("host*:temp1", `host${i}:temp1`)).toBe(true);
        expect(globMatch("host*:temp1", `host${i}:temp2`)).toBe(false);
      }
    }
    for (let p = 0; p < 300; p++) expect(globMatch(`p${p}*`, `p${p}x`)).toBe(true);
    expect(globMatch("coretemp.*:Package id *", "coretemp.0:Core 3")).toBe(false);
    expect(globMatch("coretemp.*:Package id *", "coretemp.0:Package id 1")).toBe(true);
  });
});

describe("matchLimits", () => {
  const limits = [
    limit("coretemp.*:Package id *", { targetC: 75, criticalC: 98, required: true }),
    limit("coretemp.*", { targetC: 80, criticalC: 100 }),
    limit("nvme*", { role: "drive", targetC: 55, criticalC: 70 }),
  ];

  it("joins each temperature reading with the first limit that matches it", () => {
    const temps = matchLimits(
      [reading("coretemp.0:Package id 0", 60), reading("coretemp.0:Core 1", 58), reading("nvme0:Composite", 40)],
      limits,
    );
    expect(temps).toEqual<ControlledTemp[]>([
      { id: "coretemp.0:Package id 0", role: "cpu", tempC: 60, trusted: true, quality: "ok", targetC: 75, criticalC: 98, required: true },
      { id: "coretemp.0:Core 1", role: "cpu", tempC: 58, trusted: true, quality: "ok", targetC: 80, criticalC: 100, required: false },
      { id: "nvme0:Composite", role: "drive", tempC: 40, trusted: true, quality: "ok", targetC: 55, criticalC: 70, required: false },
    ]);
  });

  it("leaves out readings no limit matches and readings that are not temperatures", () => {
    const temps = matchLimits(
      [reading("acpitz.0:temp1", 30), reading("coretemp.0:fan", 1200, { kind: "fan", unit: "rpm" })],
      limits,
    );
    expect(temps).toEqual([]);
  });

  it.each([
    ["stale", 60, false],
    ["stuck", 60, false],
    ["out_of_range", 160, false],
    ["rate", 60, false],
    ["missing", null, false],
    ["ok", null, false], // contradictory, so not trusted
    ["ok", 60, true],
  ] as const)("quality %s with value %s is trusted: %s", (quality, value, trusted) => {
    const [temp] = matchLimits([reading("coretemp.0:Package id 0", value, { quality })], limits);
    expect(temp?.trusted).toBe(trusted);
    expect(temp?.quality).toBe(quality);
    expect(temp?.required).toBe(true);
  });
});

describe("unmatchedLimits", () => {
  it("lists limits that match no sensor, and limits every match of which an earlier limit claims", () => {
    const pkg = limit("coretemp.*:Package id *", { required: true });
    const shadowed = limit("coretemp.0:Package id 0", { required: true });
    const drives = limit("nvme*", { role: "drive", required: true });
    const core = limit("coretemp.*");
    const unmatched = unmatchedLimits(["coretemp.0:Package id 0", "coretemp.0:Core 0"], [pkg, shadowed, drives, core]);
    expect(unmatched).toEqual([shadowed, drives]);
  });

  it("is empty when every limit governs some sensor", () => {
    expect(unmatchedLimits(["nvme0:Composite"], [limit("nvme*")])).toEqual([]);
  });
});

describe("worstMarginC", () => {
  const t = (id: string, role: ControlledTemp["role"], tempC: number | null, targetC: number, trusted = true): ControlledTemp => ({
    id,
    role,
    tempC,
    trusted,
    quality: trusted ? "ok" : "stale",
    targetC,
    criticalC: 100,
    required: false,
  });

  it("takes the largest tempC − targetC over trusted temps in the roles", () => {
    const temps = [t("a", "cpu", 70, 75), t("b", "drive", 50, 45), t("c", "cpu", 99, 60, false), t("d", "inlet", 40, 20)];
    expect(worstMarginC(temps, new Set(["cpu", "drive"]))).toBe(5);
    expect(worstMarginC(temps, new Set(["cpu"]))).toBe(-5);
  });

  it("is undefined when no trusted temp is in the roles", () => {
    expect(worstMarginC([t("c", "cpu", 99, 60, false), t("d", "inlet", 40, 20)], new Set(["cpu"]))).toBeUndefined();
  });
});
