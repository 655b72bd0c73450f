import { existsSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CoolingFaultMonitor, ProgressiveBoost } from "../../src/agent/cooling-faults/index.js";
import type { ControlledTemp } from "../../src/agent/controlled-sensors.js";
import { SafetyGovernor } from "../../src/agent/governor.js";
import { ActuatorGroupConfig, ControlConfig, CoolingFaultsConfig } from "../../src/config/agent-schema.js";
import { silentLogger } from "../../src/core/logger.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import type { Reading } from "../../src/protocol/index.js";

const T0 = 1_700_000_000_000;

function cpu(tempC: number): ControlledTemp {
  return { id: "coretemp.0:Package id 0", role: "cpu", tempC, trusted: true, quality: "ok", targetC: 90, criticalC: 97, required: true };
}

describe("ProgressiveBoost", () => {
  it("starts at the output in force, steps up each period while a temperature is above target, holds at target, stops at maxPct", () => {
    const boost = new ProgressiveBoost(5, 100);
    expect(boost.update(false, 3, 40)).toBeUndefined();
    const floors = [3, 3, 3, -1, -1, 2].map((marginC) => boost.update(true, marginC, 40));
    expect(floors).toEqual([45, 50, 55, 55, 55, 60]);
    for (let i = 0; i < 20; i++) boost.update(true, 4, 60);
    expect(boost.floorPct).toBe(100);
    expect(boost.update(false, 4, 100)).toBeUndefined();
  });

  it("keeps rising while no temperature is trusted, and jumps to maxPct on request", () => {
    const boost = new ProgressiveBoost(10, 80);
    expect([boost.update(true, undefined, 30), boost.update(true, undefined, 40)]).toEqual([40, 50]);
    expect(boost.toMax()).toBe(80);
  });
});

describe("SafetyGovernor with a fault floor", () => {
  const group = ActuatorGroupConfig.parse({ channels: [1, 2], minPct: 20, maxPct: 90, upSlewPctPerS: 100 });
  const control = ControlConfig.parse({});

  it("raises a lower demand, local or remote, to the floor (within maxPct) and says why", () => {
    const governor = new SafetyGovernor(group, control, { startPct: 30 });
    governor.decide({ nowMs: T0 - 1000, temps: [cpu(80)], demandPct: 30, source: "local" });
    expect(governor.decide({ nowMs: T0, temps: [cpu(80)], demandPct: 30, source: "remote", floorPct: 70 })).toEqual({
      outputPct: 70,
      mode: "remote",
      reason: "remote demand 30% raised to the fault floor 70%",
    });
    expect(governor.decide({ nowMs: T0 + 1000, temps: [cpu(80)], demandPct: 30, source: "local", floorPct: 150 }).outputPct).toBe(90);
    expect(governor.decide({ nowMs: T0 + 2000, temps: [cpu(80)], demandPct: 95, source: "local", floorPct: 40 }).outputPct).toBe(90);
  });

  it("keeps the floor in failsafe when failsafePct is lower", () => {
    const low = ActuatorGroupConfig.parse({ channels: [1], failsafePct: 50 });
    const governor = new SafetyGovernor(low, control);
    const blind: ControlledTemp = { ...cpu(0), tempC: null, trusted: false, quality: "missing" };
    expect(governor.decide({ nowMs: T0, temps: [blind], demandPct: 30, source: "local", floorPct: 80 })).toMatchObject({ outputPct: 80, mode: "failsafe" });
  });
});

describe("CoolingFaultMonitor", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function fans(rpm: number[]): Reading[] {
    return rpm.map((value, i) => ({ id: `nct6798:fan${i + 1}`, kind: "fan", unit: "rpm", value, quality: "ok" }));
  }

  it("boosts the fans while a fan has failed and reports the alarm until it clears", () => {
    const monitor = new CoolingFaultMonitor({ config: CoolingFaultsConfig.parse({ boostStepPct: 10 }), hysteresisC: 3, fans: { maxPct: 100 }, logger: silentLogger() });
    const floors: (number | undefined)[] = [];
    let fanPct = 40;
    for (let p = 0; p < 40; p++) {
      const nowMs = T0 + p * 1000;
      // Healthy fans read 120 RPM per percent of the output in force; fan 2 seizes at period 20.
      const rpm = [1, 2, 3].map((fan) => (p >= 20 && fan === 2 ? 0 : 120 * fanPct));
      const response = monitor.assess({ nowMs, readings: fans(rpm), temps: [cpu(93)], tiers: { fans: "full" } });
      floors.push(response.fanFloorPct);
      fanPct = Math.max(fanPct, response.fanFloorPct ?? 0);
      monitor.recordOutputs(nowMs, { fans: fanPct });
    }
    expect(floors.slice(0, 22).every((f) => f === undefined)).toBe(true);
    const firstBoost = floors.findIndex((f) => f !== undefined);
    expect(floors.slice(firstBoost, firstBoost + 4)).toEqual([50, 60, 70, 80]);
    expect(floors.at(-1)).toBe(100);
    expect(monitor.alarms()).toEqual([{ kind: "fan_failure", source: "nct6798:fan2", sinceMs: T0 + firstBoost * 1000 }]);
  });

  it("on a leak puts the fans at maxPct at once and names the device and flag", () => {
    const leak = { name: "cdu", leak: () => ({ raw: 1, set: ["tray_leak"] }) };
    const monitor = new CoolingFaultMonitor({ config: CoolingFaultsConfig.parse({}), hysteresisC: 3, fans: { maxPct: 95 }, pump: { maxPct: 100 }, leakSensors: [leak], logger: silentLogger() });
    const response = monitor.assess({ nowMs: T0, readings: [], temps: [cpu(60)], tiers: { fans: "full", pump: "full" } });
    expect(response).toEqual({ fanFloorPct: 95, alarms: [{ kind: "leak", source: "cdu:tray_leak", sinceMs: T0 }] });
  });

  /** A host stuck at 99 °C with the fans at 100 % for `periods` seconds. */
  function runHot(monitor: CoolingFaultMonitor, periods: number): void {
    for (let p = 0; p < periods; p++) {
      const nowMs = T0 + p * 1000;
      monitor.assess({ nowMs, readings: [], temps: [cpu(99)], tiers: { fans: "full" } });
      monitor.recordOutputs(nowMs, { fans: 100 });
    }
  }

  it("runs the last-resort command once, without a shell, after cannot_cool has lasted afterS, and raises last_resort", async () => {
    const dir = scratchDir("coolfleet-last-resort-");
    dirs.push(dir);
    const marker = join(dir, "ran");
    const config = CoolingFaultsConfig.parse({
      cannotCoolAfterS: 5,
      lastResort: { command: ["/bin/sh", "-c", 'echo "$0 $1" >> "$2"', "last", "resort", marker], afterS: 10, timeoutS: 5 },
    });
    const monitor = new CoolingFaultMonitor({ config, hysteresisC: 3, fans: { maxPct: 100 }, logger: silentLogger() });
    runHot(monitor, 15);
    expect(existsSync(marker)).toBe(false);
    expect(monitor.alarms().map((a) => a.kind)).toEqual(["cannot_cool"]);
    runHot(monitor, 40);
    await monitor.settled();
    expect(readFileSync(marker, "utf8")).toBe("last resort\n");
    expect(monitor.alarms().map((a) => [a.kind, a.source])).toEqual([
      ["cannot_cool", "coretemp.0:Package id 0"],
      ["last_resort", "/bin/sh"],
    ]);
  });

  it("never runs a command when lastResort is not configured", async () => {
    const monitor = new CoolingFaultMonitor({ config: CoolingFaultsConfig.parse({ cannotCoolAfterS: 1 }), hysteresisC: 3, fans: { maxPct: 100 }, logger: silentLogger() });
    runHot(monitor, 300);
    await monitor.settled();
    expect(monitor.alarms().map((a) => a.kind)).toEqual(["cannot_cool"]);
  });

  it("never runs the command while the fans are monitor-only, however long the host stays critical", async () => {
    const dir = scratchDir("coolfleet-last-resort-");
    dirs.push(dir);
    const marker = join(dir, "ran");
    const config = CoolingFaultsConfig.parse({ cannotCoolAfterS: 1, lastResort: { command: ["/usr/bin/touch", marker], afterS: 1 } });
    const monitor = new CoolingFaultMonitor({ config, hysteresisC: 3, fans: { maxPct: 100 }, logger: silentLogger() });
    for (let p = 0; p < 120; p++) {
      monitor.assess({ nowMs: T0 + p * 1000, readings: [], temps: [cpu(99)], tiers: { fans: "monitor" } });
      monitor.recordOutputs(T0 + p * 1000, { fans: 100 });
    }
    await monitor.settled();
    expect(existsSync(marker)).toBe(false);
    expect(monitor.alarms()).toEqual([]);
  });

  it("refuses a last-resort command that is not an absolute path", () => {
    expect(() => CoolingFaultsConfig.parse({ lastResort: { command: ["shutdown", "-h", "now"] } })).toThrow(/absolute path/);
  });
});
