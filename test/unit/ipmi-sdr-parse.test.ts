import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { RawReading } from "../../src/hardware/binding.js";
import { dellSensorRole, parseSdrLine, parseSdrTypeOutput, sdrReadings } from "../../src/hardware/ipmi/index.js";

const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "ipmitool");
const T0 = 1_700_000_000_000;

function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name), "utf8");
}

function readingsOf(name: string, unit: "C" | "rpm"): RawReading[] {
  return sdrReadings(parseSdrTypeOutput(fixture(name)).lines, unit, T0).readings;
}

function values(readings: RawReading[]): Record<string, number | null> {
  return Object.fromEntries(readings.map((r) => [r.id, r.value]));
}

describe("parseSdrLine", () => {
  it("splits ipmitool's extended sdr line into its five columns", () => {
    expect(parseSdrLine("Temp             | 0Eh | ok  |  3.1 | 45 degrees C")).toEqual({
      name: "Temp",
      sensorNumber: 0x0e,
      status: "ok",
      entity: "3.1",
      readingText: "45 degrees C",
      value: 45,
      unit: "C",
      discrete: false,
    });
  });

  it("keeps the sign of a negative reading and reads fractions", () => {
    expect(parseSdrLine("Inlet Temp       | 04h | lcr |  7.1 | -40 degrees C")).toMatchObject({ value: -40, status: "lcr" });
    expect(parseSdrLine("Temp             | 0Fh | ok  |  3.2 | 44.50 degrees C")).toMatchObject({ value: 44.5 });
  });

  it("gives no value for ns lines (Disabled, No Reading) even when a number is printed", () => {
    expect(parseSdrLine("Temp             | 0Fh | ns  |  3.2 | Disabled")).toMatchObject({ value: null, discrete: false, unit: undefined });
    expect(parseSdrLine("Exhaust Temp     | 01h | ns  |  7.1 | No Reading")).toMatchObject({ value: null });
    expect(parseSdrLine("Temp             | 0Fh | ns  |  3.2 | 0 degrees C")).toMatchObject({ value: null, unit: "C" });
  });

  it("marks state sensors as discrete", () => {
    expect(parseSdrLine("Fan Redundancy   | 75h | ok  |  7.1 | Fully Redundant")).toMatchObject({ discrete: true, value: null });
  });

  it("rejects lines of the wrong shape", () => {
    for (const bad of [
      "Temp             | 0Eh | ok  |  3.1",
      "Temp             | ZZh | ok  |  3.2 | 44 degrees C",
      "Temp             | 0Fh | ok  |  3.2 | 44 degrees C | extra",
      "Temp             | 0Fh | okay-ish |  3.2 | 44 degrees C",
      "Temp             | 0Fh | ok  |  three | 44 degrees C",
      " | 0Fh | ok  |  3.2 | 44 degrees C",
      "Get SDR 0005 command failed: Unspecified error",
    ]) {
      expect(parseSdrLine(bad), bad).toBeUndefined();
    }
  });
});

describe("sdr readings from captured-format listings", () => {
  it("13G: CPU temps by entity, inlet and exhaust by name, PSU inlets apart", () => {
    const readings = readingsOf("13g-r730-temperature.txt", "C");
    expect(values(readings)).toEqual({
      "ipmi:Inlet Temp": 21,
      "ipmi:Exhaust Temp": 30,
      "ipmi:Temp@3.1": 45,
      "ipmi:Temp@3.2": 43,
      "ipmi:PSU1 Inlet Temp": 26,
      "ipmi:PSU2 Inlet Temp": 27,
    });
    expect(readings.every((r) => r.kind === "temperature" && r.unit === "C" && r.sampledAtMs === T0)).toBe(true);
  });

  it("13G fans: Fan1 RPM … Fan6 RPM; the redundancy state sensor is left out", () => {
    const parsed = parseSdrTypeOutput(fixture("13g-r730-fan.txt"));
    const result = sdrReadings(parsed.lines, "rpm", T0);
    expect(Object.keys(values(result.readings))).toEqual(["ipmi:Fan1 RPM", "ipmi:Fan2 RPM", "ipmi:Fan3 RPM", "ipmi:Fan4 RPM", "ipmi:Fan5 RPM", "ipmi:Fan6 RPM"]);
    expect(result.readings[0]).toMatchObject({ kind: "fan", unit: "rpm", value: 3480 });
    expect(result.discreteLines).toBe(1);
    expect(parsed.garbageLines).toBe(0);
  });

  it("12G: Fan1 … Fan6 and the same temperature names as 13G", () => {
    expect(values(readingsOf("12g-r720-fan.txt", "rpm"))).toMatchObject({ "ipmi:Fan1": 4680, "ipmi:Fan3": 4560, "ipmi:Fan6": 4800 });
    expect(values(readingsOf("12g-r720-temperature.txt", "C"))).toEqual({ "ipmi:Inlet Temp": 23, "ipmi:Exhaust Temp": 34, "ipmi:Temp@3.1": 52, "ipmi:Temp@3.2": 49 });
  });

  it("11G: FAN n RPM, an empty second socket and absent fan slot as null, PSU 'Temp' on entity 10", () => {
    const temps = readingsOf("11g-r710-temperature.txt", "C");
    expect(values(temps)).toEqual({
      "ipmi:Temp@3.1": 41,
      "ipmi:Temp@3.2": null,
      "ipmi:Temp@10.1": 36,
      "ipmi:Temp@10.2": null,
      "ipmi:Ambient Temp": 22,
      "ipmi:Planar Temp": 35,
      "ipmi:CPU Temp Interf": null,
    });
    expect(temps.find((r) => r.id === "ipmi:Temp@3.2")?.error).toBe("ipmitool reports ns (Disabled)");
    expect(values(readingsOf("11g-r710-fan.txt", "rpm"))).toEqual({
      "ipmi:FAN 1 RPM": 3600,
      "ipmi:FAN 2 RPM": 3675,
      "ipmi:FAN 3 RPM": 3600,
      "ipmi:FAN 4 RPM": 3525,
      "ipmi:FAN 5 RPM": 3600,
      "ipmi:FAN 6 RPM": null,
    });
  });

  it("R330: one socket still gets its entity; dual-rotor FAN1A/FAN1B", () => {
    expect(values(readingsOf("r330-temperature.txt", "C"))).toEqual({ "ipmi:Inlet Temp": 24, "ipmi:Exhaust Temp": 33, "ipmi:Temp@3.1": 38 });
    expect(values(readingsOf("r330-fan.txt", "rpm"))).toEqual({
      "ipmi:FAN1A": 5760,
      "ipmi:FAN1B": 5400,
      "ipmi:FAN2A": 5760,
      "ipmi:FAN2B": 5400,
      "ipmi:FAN3A": 5640,
      "ipmi:FAN3B": null,
    });
  });

  it("faults: a disconnected probe keeps its −40, ns sensors are null with the reason", () => {
    const readings = readingsOf("faults-temperature.txt", "C");
    expect(values(readings)).toEqual({ "ipmi:Inlet Temp": -40, "ipmi:Exhaust Temp": null, "ipmi:Temp@3.1": 98, "ipmi:Temp@3.2": null });
    expect(readings.find((r) => r.id === "ipmi:Exhaust Temp")?.error).toBe("ipmitool reports ns (No Reading)");
  });

  it("counts garbage and foreign lines instead of throwing", () => {
    const parsed = parseSdrTypeOutput(fixture("garbage-temperature.txt"));
    expect(parsed.garbageLines).toBe(5);
    const result = sdrReadings(parsed.lines, "C", T0);
    expect(result.foreignLines).toBe(1);
    expect(values(result.readings)).toEqual({ "ipmi:Inlet Temp": 22, "ipmi:Exhaust Temp": 29, "ipmi:Temp@3.2": 44.5 });
  });

  it("an empty listing is no readings, not an error", () => {
    expect(parseSdrTypeOutput("")).toEqual({ lines: [], garbageLines: 0 });
    expect(parseSdrTypeOutput("\n\n")).toEqual({ lines: [], garbageLines: 0 });
  });

  it("names a repeated name by entity, and a name repeated on one entity by sensor number", () => {
    const lines = parseSdrTypeOutput(
      ["Board Temp       | 20h | ok  |  7.1 | 30 degrees C", "Board Temp       | 21h | ok  |  7.2 | 31 degrees C", "Board Temp       | 22h | ok  |  7.2 | 32 degrees C"].join("\n"),
    ).lines;
    expect(sdrReadings(lines, "C", T0).readings.map((r) => r.id)).toEqual(["ipmi:Board Temp@7.1", "ipmi:Board Temp@7.2#21h", "ipmi:Board Temp@7.2#22h"]);
  });
});

describe("dellSensorRole", () => {
  const role = (id: string) => dellSensorRole({ id, kind: "temperature" });

  it("anchors names: Inlet Temp is the inlet, PSU1 Inlet Temp is not", () => {
    expect(role("ipmi:Inlet Temp")).toBe("inlet");
    expect(role("ipmi:PSU1 Inlet Temp")).toBe("other");
    expect(role("ipmi:Inlet Temp Sensor")).toBe("other");
    expect(role("ipmi:Exhaust Temp")).toBe("exhaust");
    expect(role("ipmi:Ambient Temp")).toBe("inlet");
  });

  it("only Temp on a processor entity is a CPU", () => {
    expect(role("ipmi:Temp@3.1")).toBe("cpu");
    expect(role("ipmi:Temp@3.2")).toBe("cpu");
    expect(role("ipmi:Temp@10.1")).toBe("other");
    expect(role("ipmi:Planar Temp")).toBe("other");
    expect(dellSensorRole({ id: "ipmi:Fan1 RPM", kind: "fan" })).toBeUndefined();
    expect(dellSensorRole({ id: "coretemp.0:Package id 0", kind: "temperature" })).toBeUndefined();
  });
});
