import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ErrorCode, isCoolfleetError } from "../../src/core/errors.js";
import { BUILTIN_REGISTER_MAPS, loadRegisterMap, parseRegisterMap } from "../../src/hardware/modbus/index.js";

function minimalMap(registers: unknown[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: "test-map", serial: { unitId: 1, baudRate: 9600, parity: "none" }, registers, ...extra };
}

const flow = { name: "flow", address: 10, function: "holding", scale: 0.01, unit: "Lpm", kind: "flow", role: "flow" };
const mode = { name: "mode", address: 0, function: "holding", unit: "mode", kind: "control", role: "mode", writable: true, values: { auto: 0, manual: 1 } };
const duty = { name: "duty", address: 1, function: "holding", unit: "pct", kind: "control", role: "pump_duty_setpoint", writable: true, min: 0, max: 100 };

function problemOf(raw: unknown): string {
  try {
    parseRegisterMap("test.json", raw);
  } catch (err) {
    expect(isCoolfleetError(err, ErrorCode.ConfigInvalid)).toBe(true);
    return (err as Error).message;
  }
  throw new Error("expected the map to be rejected");
}

describe("register maps", () => {
  it("loads every built-in map, with the ORv3 addresses the reference gives", () => {
    expect(BUILTIN_REGISTER_MAPS).toEqual(["orv3-rpu", "simple-pump-drive"]);
    const rpu = loadRegisterMap("orv3-rpu");
    expect(rpu.serial).toEqual({ unitId: 13, baudRate: 19200, parity: "none", dataBits: 8, stopBits: 1 });
    expect(rpu.byRole("mode")?.address).toBe(37904);
    expect(rpu.byRole("pump_duty_setpoint")?.address).toBe(37911);
    expect(rpu.byRole("target_flow")?.address).toBe(37914);
    expect(rpu.byRole("target_temp")).toMatchObject({ address: 37918, scale: 0.1 });
    expect(rpu.byRole("leak_flags")?.address).toBe(37519);
    expect(rpu.byRole("flow")?.address).toBe(37527);
    expect(rpu.pumps()).toEqual([1, 2]);
    expect(rpu.modeRaw("manual")).toBe(0);
    expect(rpu.modeName(1)).toBe("auto1");
    const drive = loadRegisterMap("simple-pump-drive");
    expect(drive.byRole("pump_duty_setpoint")).toMatchObject({ writeFunction: 16, scale: 0.1 });
    expect(drive.control).toEqual({ manualMode: "manual", autoMode: "auto" });
  });

  it("applies defaults: u16, scale 1, read-only, function 06 writes, contiguous reads", () => {
    const map = parseRegisterMap("t", minimalMap([flow, { name: "x", address: 11, function: "input", unit: "W", kind: "power" }]));
    expect(map.byName("x")).toMatchObject({ type: "u16", scale: 1, writable: false, writeFunction: 6 });
    expect([map.maxReadGap, map.maxReadCount]).toEqual([0, 32]);
  });

  it("names the register when a field is wrong", () => {
    const message = problemOf(minimalMap([flow, { ...flow, name: "supply", address: 70000, role: undefined }]));
    expect(message).toContain('register map test.json: register "supply" (registers[1]).address');
  });

  it("rejects unknown keys (a typo must not be ignored)", () => {
    expect(problemOf(minimalMap([{ ...flow, scael: 2 }]))).toMatch(/register "flow" \(registers\[0\]\).*scael/);
  });

  it.each([
    ["a duplicate name", [flow, { ...flow, address: 11, role: undefined }], /register "flow": the name is used twice/],
    ["two registers on one address", [flow, { ...flow, name: "flow2", role: undefined }], /register "flow2" \(holding 10\): address already used by "flow"/],
    ["a writable input register", [{ ...flow, function: "input", writable: true }], /register "flow" \(input 10\): writable registers must be holding registers/],
    ["a kind with the wrong unit", [{ ...flow, unit: "C", role: undefined }], /register "flow" \(holding 10\): kind "flow" takes unit Lpm, not "C"/],
    ["a role with the wrong unit", [{ ...flow, kind: "temperature", unit: "C" }], /role "flow" takes unit "Lpm", not "C"/],
    ["a per-pump role without a pump", [{ name: "rpm", address: 5, function: "input", unit: "rpm", kind: "pump", role: "pump_rpm" }], /register "rpm" \(input 5\): role "pump_rpm" is per pump/],
    ["a role taken twice", [flow, { ...flow, name: "flow_b", address: 12 }], /register "flow_b" \(holding 12\): role "flow" already taken by "flow"/],
    ["a mode register without values", [{ ...mode, values: undefined }], /register "mode" \(holding 0\): a mode register needs "values"/],
    ["limits a register cannot hold", [{ ...duty, min: -5 }], /register "duty" \(holding 1\): limit -5 cannot be represented/],
  ])("rejects %s, naming the register", (_what, registers, expected) => {
    expect(problemOf(minimalMap(registers))).toMatch(expected);
  });

  it("checks the control block against the mode register", () => {
    expect(problemOf(minimalMap([mode, duty], { control: { manualMode: "manual", autoMode: "automatic" } }))).toMatch(
      /control.autoMode: "automatic" is not one of register "mode" \(holding 0\)'s values \(auto, manual\)/,
    );
    expect(problemOf(minimalMap([mode], { control: { manualMode: "manual", autoMode: "auto" } }))).toMatch(/control: needs a register with role "pump_duty_setpoint"/);
    expect(problemOf(minimalMap([mode, { ...duty, writable: false }], { control: { manualMode: "manual", autoMode: "auto" } }))).toMatch(
      /control: register "duty" \(holding 1\) must be writable/,
    );
  });

  describe("from a file", () => {
    const dir = mkdtempSync(join(tmpdir(), "coolfleet-map-"));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it("loads a map file by path", () => {
      const path = join(dir, "mine.json");
      writeFileSync(path, JSON.stringify(minimalMap([flow])));
      expect(loadRegisterMap(path).byName("flow")?.scale).toBe(0.01);
    });

    it("says which file is not JSON, and which name is neither built in nor a path", () => {
      const path = join(dir, "broken.json");
      writeFileSync(path, "{ not json");
      expect(() => loadRegisterMap(path)).toThrow(new RegExp(`register map ${path} is not valid JSON`));
      expect(() => loadRegisterMap("orv3")).toThrow(/register map "orv3" is neither a built-in map \(orv3-rpu, simple-pump-drive\) nor a path/);
      expect(() => loadRegisterMap(join(dir, "absent.json"))).toThrow(/absent.json: ENOENT/);
    });
  });
});
