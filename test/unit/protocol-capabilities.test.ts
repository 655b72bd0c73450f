import { describe, expect, it } from "vitest";
import { decodeHostState, encode } from "../../src/protocol/index.js";

function birth(fans: Record<string, unknown>, more: Record<string, unknown> = {}): string {
  return JSON.stringify({
    v: 1,
    host: "r750-01",
    boot: "boot-0001",
    online: true,
    ts: 1_700_000_000_000,
    agentVersion: "0.1.0",
    periodMs: 1000,
    sensors: [],
    capabilities: { fans: { channels: 6, tier: "full", minPct: 20, maxPct: 100, ...fans }, maxLeaseMs: 30_000, ...more },
  });
}

describe("a birth's actuator roles", () => {
  it("carries the roles a group cools, and round-trips them", () => {
    const decoded = decodeHostState(birth({ roles: ["drive", "exhaust"] }));
    expect(decoded.ok && decoded.value.online && decoded.value.capabilities.fans.roles).toEqual(["drive", "exhaust"]);
    if (decoded.ok) expect(decodeHostState(encode(decoded.value))).toEqual(decoded);
  });

  it("accepts a birth without roles (agents that do not announce them)", () => {
    const decoded = decodeHostState(birth({}));
    expect(decoded.ok && decoded.value.online && decoded.value.capabilities.fans.roles).toBeUndefined();
  });

  it.each([
    ["an unknown role", ["cpu", "gpu"]],
    ["no role at all", []],
    ["more roles than there are", ["cpu", "drive", "inlet", "exhaust", "coolant", "other", "cpu"]],
    ["not a list", "cpu"],
  ])("rejects %s", (_name, roles) => {
    const decoded = decodeHostState(birth({ roles }));
    expect(decoded.ok).toBe(false);
    expect(decoded.ok ? "" : decoded.reason).toMatch(/roles/);
  });
});

describe("a birth's energy hints", () => {
  it("carries the fans' watts and the CPUs' leakage, and round-trips them", () => {
    const decoded = decodeHostState(birth({ maxPowerW: 24 }, { cpuLeakage: { at85W: 24, doublingK: 19 } }));
    expect(decoded.ok && decoded.value.online && decoded.value.capabilities).toMatchObject({ fans: { maxPowerW: 24 }, cpuLeakage: { at85W: 24, doublingK: 19 } });
    if (decoded.ok) expect(decodeHostState(encode(decoded.value))).toEqual(decoded);
  });

  it("accepts a birth without them (the planner then assumes the PowerEdge class)", () => {
    const decoded = decodeHostState(birth({}));
    expect(decoded.ok && decoded.value.online && decoded.value.capabilities.cpuLeakage).toBeUndefined();
    expect(decoded.ok && decoded.value.online && decoded.value.capabilities.fans.maxPowerW).toBeUndefined();
  });

  it.each([
    ["zero fan watts", { maxPowerW: 0 }, {}, /maxPowerW/],
    ["negative fan watts", { maxPowerW: -5 }, {}, /maxPowerW/],
    ["fan watts as text", { maxPowerW: "72" }, {}, /maxPowerW/],
    ["leakage without its doubling", {}, { cpuLeakage: { at85W: 52 } }, /doublingK/],
    ["a zero doubling", {}, { cpuLeakage: { at85W: 52, doublingK: 0 } }, /doublingK/],
    ["negative leakage", {}, { cpuLeakage: { at85W: -1, doublingK: 19 } }, /at85W/],
  ])("rejects %s", (_name, fans, more, field) => {
    const decoded = decodeHostState(birth(fans, more));
    expect(decoded.ok).toBe(false);
    expect(decoded.ok ? "" : decoded.reason).toMatch(field);
  });
});
