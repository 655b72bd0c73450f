import { mkdirSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import type { RawReading } from "../../src/hardware/binding.js";
import { HwmonSensorSource } from "../../src/hardware/hwmon/index.js";
import { FakeRoot } from "../fixtures/sysfs/fake-root.js";
import { addHwmonChip } from "../fixtures/sysfs/hwmon-chip.js";
import { d5next, drivetemp } from "../fixtures/sysfs/hwmon-presets.js";
import { buildServerTree } from "../fixtures/sysfs/server-tree.js";

const T0 = 1_700_000_000_000;
const roots: FakeRoot[] = [];
function fakeRoot(): FakeRoot {
  const root = new FakeRoot();
  roots.push(root);
  return root;
}
afterEach(() => {
  for (const root of roots.splice(0)) root.cleanup();
});

function byId(readings: RawReading[], id: string): RawReading {
  const r = readings.find((x) => x.id === id);
  if (!r) throw new Error(`no reading ${id} in ${readings.map((x) => x.id).join(", ")}`);
  return r;
}

describe("HwmonSensorSource", () => {
  it("converts kernel units: m°C to °C, rpm, µW to W, duty to %", () => {
    const root = fakeRoot();
    buildServerTree(root);
    const readings = new HwmonSensorSource({ root: root.dir }).sweep(T0);
    expect(byId(readings, "coretemp.0:Package id 0")).toEqual({ id: "coretemp.0:Package id 0", kind: "temperature", unit: "C", value: 52, sampledAtMs: T0 });
    expect(byId(readings, "nct6798:fan1")).toMatchObject({ kind: "fan", unit: "rpm", value: 900 });
    expect(byId(readings, "power_meter:power1")).toMatchObject({ kind: "power", unit: "W", value: 312.5 });
    expect(byId(readings, "nct6798:pwm1")).toMatchObject({ kind: "pwm", unit: "pct", value: 50.2 });
    expect(byId(readings, "drivetemp.1:0:0:0:temp1")).toMatchObject({ value: 38 });
    expect(readings).toHaveLength(30);
  });

  it("reports a d5next's flow channel in L/min and its pump channel as a pump", () => {
    const root = fakeRoot();
    addHwmonChip(root, d5next(0, { flowDlph: 1500, pumpRpm: 2750, pumpW: 4.2, coolantC: 29.5 }));
    const source = new HwmonSensorSource({ root: root.dir });
    const readings = source.sweep(T0);
    expect(byId(readings, "d5next:Flow speed [dL/h]")).toMatchObject({ kind: "flow", unit: "Lpm", value: 2.5 });
    expect(byId(readings, "d5next:Pump speed")).toMatchObject({ kind: "pump", unit: "rpm", value: 2750 });
    expect(byId(readings, "d5next:Fan speed")).toMatchObject({ kind: "fan", unit: "rpm" });
    expect(byId(readings, "d5next:Pump power")).toMatchObject({ kind: "power", unit: "W", value: 4.2 });
    expect(byId(readings, "d5next:Coolant temp")).toMatchObject({ kind: "temperature", value: 29.5 });
    expect(source.manifest()).toContainEqual({ id: "d5next:Flow speed [dL/h]", kind: "flow", unit: "Lpm" });
  });

  it("reports a sensor that vanishes mid-run as missing, and keeps it in the manifest", () => {
    const root = fakeRoot();
    buildServerTree(root);
    const source = new HwmonSensorSource({ root: root.dir });
    expect(byId(source.sweep(T0), "drivetemp.1:0:0:0:temp1").value).toBe(38);

    // Drive pulled: the kernel removes the hwmon dir and its class link.
    root.remove("/sys/devices/pci0000:00/0000:00:17.0/ata2");
    root.remove("/sys/class/hwmon/hwmon4");
    for (let i = 1; i <= 12; i++) {
      const gone = byId(source.sweep(T0 + i * 1000), "drivetemp.1:0:0:0:temp1");
      expect(gone.value).toBeNull();
      expect(gone.error).toMatch(/ENOENT/);
    }
    expect(source.manifest().map((m) => m.id)).toContain("drivetemp.1:0:0:0:temp1");
  });

  it("turns unreadable and garbage content into null with the reason, never a throw", () => {
    const root = fakeRoot();
    addHwmonChip(root, { index: 0, device: "platform/it87.2608", name: "it8728", attrs: { temp1_input: 30000, temp2_input: 31000, temp3_input: 32000, temp4_input: 1 } });
    const source = new HwmonSensorSource({ root: root.dir });
    const dir = "/sys/devices/platform/it87.2608/hwmon/hwmon0";
    root.write(`${dir}/temp1_input`, "NaN\n");
    root.write(`${dir}/temp2_input`, "");
    root.remove(`${dir}/temp3_input`);
    mkdirSync(root.path(`${dir}/temp3_input`)); // read() fails with EISDIR: stands in for EIO/ENODATA
    const readings = source.sweep(T0);
    expect(byId(readings, "it8728:temp1")).toMatchObject({ value: null, error: expect.stringMatching(/not an integer \("NaN"\)/) as unknown });
    expect(byId(readings, "it8728:temp2")).toMatchObject({ value: null, error: expect.stringMatching(/not an integer/) as unknown });
    expect(byId(readings, "it8728:temp3")).toMatchObject({ value: null, error: expect.stringMatching(/EISDIR/) as unknown });
    expect(byId(readings, "it8728:temp4")).toMatchObject({ value: 0.001 });
  });

  it("picks up a chip that appears after start at the next rediscovery", () => {
    const root = fakeRoot();
    buildServerTree(root);
    const source = new HwmonSensorSource({ root: root.dir, rediscoverEverySweeps: 10 });
    addHwmonChip(root, drivetemp(9, "2:0:0:0", 41));
    let t = T0;
    for (let i = 0; i < 9; i++) expect(source.sweep((t += 1000)).map((r) => r.id)).not.toContain("drivetemp.2:0:0:0:temp1");
    expect(byId(source.sweep(t + 1000), "drivetemp.2:0:0:0:temp1").value).toBe(41);
    expect(source.manifest().map((m) => m.id)).toContain("drivetemp.2:0:0:0:temp1");
  });

  it("follows a chip whose hwmon number changed (driver reload) under the same ids", () => {
    const root = fakeRoot();
    addHwmonChip(root, drivetemp(3, "0:0:0:0", 36));
    const source = new HwmonSensorSource({ root: root.dir, rediscoverEverySweeps: 1000, minSweepsBetweenRediscovery: 2 });
    expect(source.sweep(T0)[0]?.value).toBe(36);

    root.remove("/sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0/hwmon/hwmon3");
    root.remove("/sys/class/hwmon/hwmon3");
    addHwmonChip(root, drivetemp(8, "0:0:0:0", 37));
    expect(source.sweep(T0 + 1000)).toMatchObject([{ id: "drivetemp.0:0:0:0:temp1", value: null }]);
    expect(source.sweep(T0 + 2000)).toMatchObject([{ id: "drivetemp.0:0:0:0:temp1", value: 37 }]);
    expect(source.manifest()).toEqual([{ id: "drivetemp.0:0:0:0:temp1", kind: "temperature", unit: "C" }]);
  });

  it("stamps every reading with the sweep's nowMs", () => {
    const root = fakeRoot();
    buildServerTree(root);
    const readings = new HwmonSensorSource({ root: root.dir }).sweep(T0 + 123);
    expect(new Set(readings.map((r) => r.sampledAtMs))).toEqual(new Set([T0 + 123]));
  });
});
