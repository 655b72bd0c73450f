import { afterEach, describe, expect, it } from "vitest";
import { HwmonDiscovery, sensorsOf, type HwmonChip } from "../../src/hardware/hwmon/index.js";
import { instanceSuffix } from "../../src/hardware/hwmon/chip-tag.js";
import { resolveInRoot } from "../../src/hardware/hwmon/root-path.js";
import { FakeRoot } from "../fixtures/sysfs/fake-root.js";
import { addHwmonChip } from "../fixtures/sysfs/hwmon-chip.js";
import { applesmc, d5next, nct6798 } from "../fixtures/sysfs/hwmon-presets.js";
import { buildServerTree, type ServerHwmonNumbers } from "../fixtures/sysfs/server-tree.js";

const roots: FakeRoot[] = [];
function fakeRoot(): FakeRoot {
  const root = new FakeRoot();
  roots.push(root);
  return root;
}
afterEach(() => {
  for (const root of roots.splice(0)) root.cleanup();
});

function serverIds(
  numbers: ServerHwmonNumbers,
  link: "relative" | "absolute" = "relative",
): { root: FakeRoot; chips: HwmonChip[]; ids: string[] } {
  const root = fakeRoot();
  buildServerTree(root, numbers);
  if (link === "absolute") {
    // Class links as absolute paths ("/sys/devices/..."), as a copied real /sys tree has them.
    for (const n of numbers) {
      const resolved = resolveInRoot(root.dir, `/sys/class/hwmon/hwmon${n}`);
      root.remove(`/sys/class/hwmon/hwmon${n}`);
      root.symlink(`/sys/class/hwmon/hwmon${n}`, resolved);
    }
  }
  const chips = new HwmonDiscovery(root.dir).discover();
  return { root, chips, ids: chips.flatMap((c) => sensorsOf(c).map((s) => s.id)) };
}

describe("HwmonDiscovery", () => {
  it("names chips by name and device path, with instance tags for per-instance drivers", () => {
    const { chips } = serverIds([0, 1, 2, 3, 4, 5]);
    expect(chips.map((c) => [c.tag, c.devicePath])).toEqual([
      ["coretemp.0", "/sys/devices/platform/coretemp.0"],
      ["coretemp.1", "/sys/devices/platform/coretemp.1"],
      ["drivetemp.0:0:0:0", "/sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0"],
      ["drivetemp.1:0:0:0", "/sys/devices/pci0000:00/0000:00:17.0/ata2/host1/target1:0:0/1:0:0:0"],
      ["nct6798", "/sys/devices/platform/nct6775.656"],
      ["power_meter", "/sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00"],
    ]);
  });

  it("gives sensor ids <chip tag>:<label or channel>", () => {
    const { ids } = serverIds([0, 1, 2, 3, 4, 5]);
    expect(ids).toEqual(
      expect.arrayContaining([
        "coretemp.0:Package id 0",
        "coretemp.1:Core 2",
        "nct6798:SYSTIN",
        "nct6798:fan3",
        "nct6798:pwm1",
        "drivetemp.0:0:0:0:temp1",
        "power_meter:power1",
      ]),
    );
    expect(ids).toHaveLength(30);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("gives the same ids and device paths whatever the hwmon numbering", () => {
    const a = serverIds([0, 1, 2, 3, 4, 5]);
    const b = serverIds([5, 3, 0, 4, 1, 2]);
    const c = serverIds([11, 7, 9, 2, 3, 8]);
    expect(b.ids).toEqual(a.ids);
    expect(c.ids).toEqual(a.ids);
    expect(b.chips.map((x) => x.devicePath)).toEqual(a.chips.map((x) => x.devicePath));
    expect(b.chips.map((x) => x.classEntry)).not.toEqual(a.chips.map((x) => x.classEntry));
  });

  it("resolves absolute symlink targets under the root, not the host's /sys", () => {
    const relative = serverIds([0, 1, 2, 3, 4, 5]);
    const absolute = serverIds([0, 1, 2, 3, 4, 5], "absolute");
    expect(absolute.ids).toEqual(relative.ids);
    expect(absolute.chips.every((c) => c.attrDir.startsWith(absolute.root.dir))).toBe(true);

    const root = fakeRoot();
    addHwmonChip(root, { ...nct6798(1), link: "absolute" });
    const [chip] = new HwmonDiscovery(root.dir).discover();
    expect(chip?.devicePath).toBe("/sys/devices/platform/nct6775.656");
    expect(chip?.attrDir).toBe(root.path("/sys/devices/platform/nct6775.656/hwmon/hwmon1"));
  });

  it("finds old-style chips whose attributes live on the device (applesmc)", () => {
    const root = fakeRoot();
    addHwmonChip(root, applesmc(3, [{ label: "Left side  ", rpm: 1800, minRpm: 1200, maxRpm: 6200 }]));
    const [chip] = new HwmonDiscovery(root.dir).discover();
    expect(chip?.tag).toBe("applesmc");
    expect(chip?.attrPath).toBe("/sys/devices/platform/applesmc.768");
    expect(chip?.channels.find((c) => c.type === "fan")).toMatchObject({
      index: 1,
      label: "Left side",
      control: { manual: "fan1_manual", output: "fan1_output", min: "fan1_min", max: "fan1_max" },
    });
    expect(sensorsOf(chip!).map((s) => s.id)).toEqual(["applesmc:Left side", "applesmc:TC0P"]);
  });

  it("notices, cheaply, when chips come, go or move", () => {
    const root = fakeRoot();
    addHwmonChip(root, nct6798(1));
    const discovery = new HwmonDiscovery(root.dir);
    expect(discovery.changedSinceDiscover()).toBe(true);
    discovery.discover();
    expect(discovery.changedSinceDiscover()).toBe(false);
    root.write("/sys/devices/platform/nct6775.656/hwmon/hwmon1/temp1_input", 33000); // values change all the time
    expect(discovery.changedSinceDiscover()).toBe(false);
    addHwmonChip(root, d5next(0));
    expect(discovery.changedSinceDiscover()).toBe(true);
    discovery.discover();
    root.remove("/sys/class/hwmon/hwmon0");
    expect(discovery.changedSinceDiscover()).toBe(true);
  });

  it("tells apart chips sharing a name by their device", () => {
    const root = fakeRoot();
    addHwmonChip(root, d5next(4));
    addHwmonChip(root, { ...d5next(2), device: "pci0000:00/0000:00:14.0/usb1/1-5/1-5:1.0/0003:0C70:F00E.0002" });
    const tags = new HwmonDiscovery(root.dir).discover().map((c) => c.tag);
    expect(tags).toEqual(["d5next.0003:0C70:F00E.0001", "d5next.0003:0C70:F00E.0002"]);
  });

  it("keeps a chip's tag when a second chip of its name appears later", () => {
    const root = fakeRoot();
    addHwmonChip(root, nct6798(1));
    const discovery = new HwmonDiscovery(root.dir);
    expect(discovery.discover().map((c) => c.tag)).toEqual(["nct6798"]);
    addHwmonChip(root, { ...nct6798(0), device: "platform/nct6775.2592" });
    expect(discovery.discover().map((c) => [c.tag, c.devicePath])).toEqual([
      ["nct6798", "/sys/devices/platform/nct6775.656"],
      ["nct6798.2592", "/sys/devices/platform/nct6775.2592"],
    ]);
  });

  it("falls back to channel names when a chip repeats a label", () => {
    const root = fakeRoot();
    addHwmonChip(root, {
      index: 0,
      device: "platform/it87.2608",
      name: "it8728",
      attrs: { temp1_input: 30000, temp1_label: "AUX\n", temp2_input: 31000, temp2_label: "AUX\n", temp3_input: 32000 },
    });
    const [chip] = new HwmonDiscovery(root.dir).discover();
    expect(sensorsOf(chip!).map((s) => s.id)).toEqual(["it8728:temp1", "it8728:temp2", "it8728:temp3"]);
  });

  it("uses the dir above hwmon/ as the device when there is no device link", () => {
    const root = fakeRoot();
    addHwmonChip(root, { index: 0, device: "virtual/thermal/thermal_zone0", name: "acpitz", attrs: { temp1_input: 27800 }, noDeviceLink: true });
    expect(new HwmonDiscovery(root.dir).discover()[0]?.devicePath).toBe("/sys/devices/virtual/thermal/thermal_zone0");
  });

  it("prefers power{n}_average over power{n}_input", () => {
    const root = fakeRoot();
    addHwmonChip(root, { index: 0, device: "platform/meter.0", name: "meter", attrs: { power1_input: 1, power1_average: 2, power2_input: 3 } });
    const [chip] = new HwmonDiscovery(root.dir).discover();
    expect(chip?.channels.map((c) => c.inputFile)).toEqual(["power1_average", "power2_input"]);
  });

  it("returns no chips, with a reason, when there is no hwmon class dir", () => {
    const discovery = new HwmonDiscovery(fakeRoot().dir);
    expect(discovery.discover()).toEqual([]);
    expect(discovery.problems[0]).toMatch(/cannot list/);
  });

  it("skips an entry caught in a symlink loop instead of hanging", () => {
    const root = fakeRoot();
    addHwmonChip(root, nct6798(1));
    root.symlink("/sys/class/hwmon/hwmon7", "hwmon7");
    const discovery = new HwmonDiscovery(root.dir);
    expect(discovery.discover().map((c) => c.tag)).toEqual(["nct6798"]);
    expect(discovery.problems.join()).toMatch(/hwmon7.*too many symlinks/);
  });
});

describe("resolveInRoot", () => {
  it("never climbs above the root", () => {
    const root = fakeRoot();
    root.symlink("/sys/escape", "../../../../etc");
    expect(resolveInRoot(root.dir, "/sys/escape/passwd")).toBe("/etc/passwd");
  });
});

describe("instanceSuffix", () => {
  it.each([
    ["/sys/devices/platform/coretemp.1", "1"],
    ["/sys/devices/platform/nct6775.656", "656"],
    ["/sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0", "0:0:0:0"],
    ["/sys/devices/pci0000:00/0000:00:1d.0/0000:3d:00.0/nvme/nvme0", "0"],
    ["/sys/devices/pci0000:00/0000:00:18.3", "0000:00:18.3"],
  ])("%s → %s", (devicePath, suffix) => {
    expect(instanceSuffix(devicePath)).toBe(suffix);
  });
});
