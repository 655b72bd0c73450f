import { afterEach, describe, expect, it } from "vitest";
import type { RawReading } from "../../src/hardware/binding.js";
import { DiskThroughputSource, isWholeDisk, parseDiskstats } from "../../src/hardware/procfs/index.js";
import { FakeRoot } from "../fixtures/sysfs/fake-root.js";
import { writeDiskstats, type FakeDiskRow } from "../fixtures/sysfs/procfs-files.js";

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

const values = (readings: RawReading[]): Record<string, number | null> => Object.fromEntries(readings.map((r) => [r.id, r.value]));

/** 1 MB is 1953.125 sectors of 512 bytes; use multiples of 15625 sectors (8 MB) to keep numbers exact. */
function rows(sda: [number, number], nvme: [number, number], extra: FakeDiskRow[] = []): FakeDiskRow[] {
  return [
    { name: "sda", sectorsRead: sda[0], sectorsWritten: sda[1] },
    { name: "sda1", sectorsRead: sda[0], sectorsWritten: sda[1] },
    { name: "nvme0n1", major: 259, sectorsRead: nvme[0], sectorsWritten: nvme[1] },
    { name: "nvme0n1p1", major: 259, sectorsRead: nvme[0], sectorsWritten: nvme[1] },
    { name: "loop0", major: 7, sectorsRead: 999_999, sectorsWritten: 0 },
    { name: "dm-0", major: 253, sectorsRead: sda[0], sectorsWritten: sda[1] },
    ...extra,
  ];
}

describe("isWholeDisk", () => {
  it.each([
    ["sda", true],
    ["sdaa", true],
    ["nvme0n1", true],
    ["mmcblk0", true],
    ["vdb", true],
    ["xvda", true],
    ["sda1", false],
    ["sdaa12", false],
    ["nvme0n1p2", false],
    ["mmcblk0p1", false],
    ["loop7", false],
    ["ram0", false],
    ["zram0", false],
    ["dm-3", false],
    ["md127", false],
    ["nbd0", false],
  ])("%s → %s", (name, whole) => {
    expect(isWholeDisk(name)).toBe(whole);
  });
});

describe("parseDiskstats", () => {
  it("reads sectors read (column 6) and written (column 10) and ignores short lines", () => {
    const text = "   8       0 sda 1 2 300 4 5 6 700 8 0 9 10 0 0 0 0 0 0\n   8       1 sda1 1 2\n";
    expect(parseDiskstats(text)).toEqual([{ name: "sda", sectorsRead: 300, sectorsWritten: 700 }]);
  });
});

describe("DiskThroughputSource", () => {
  it("reports MB/s per whole disk and in total, skipping partitions and virtual devices", () => {
    const root = fakeRoot();
    writeDiskstats(root, rows([0, 0], [1000, 1000]));
    const disks = new DiskThroughputSource(root.dir);
    expect(disks.manifest()).toEqual([
      { id: "disk:sda", kind: "disk", unit: "MBps" },
      { id: "disk:nvme0n1", kind: "disk", unit: "MBps" },
      { id: "disk:total", kind: "disk", unit: "MBps" },
    ]);
    expect(values(disks.sweep(T0))).toEqual({ "disk:sda": null, "disk:nvme0n1": null, "disk:total": null });

    writeDiskstats(root, rows([15_625, 15_625], [1000 + 31_250, 1000])); // 16 MB and 16 MB over 2 s
    expect(values(disks.sweep(T0 + 2000))).toEqual({ "disk:sda": 8, "disk:nvme0n1": 8, "disk:total": 16 });
  });

  it("treats a counter that went backwards as a restart: null and a new baseline, not negative", () => {
    const root = fakeRoot();
    writeDiskstats(root, rows([500_000, 500_000], [0, 0]));
    const disks = new DiskThroughputSource(root.dir);
    disks.sweep(T0);
    writeDiskstats(root, rows([100, 100], [15_625, 0]));
    const after = disks.sweep(T0 + 1000);
    expect(values(after)).toEqual({ "disk:sda": null, "disk:nvme0n1": 8, "disk:total": null });
    expect(after.find((r) => r.id === "disk:sda")?.error).toBe("counters went backwards; new baseline");
    expect(after.find((r) => r.id === "disk:total")?.error).toMatch(/^sda: counters went backwards/);
    writeDiskstats(root, rows([100 + 15_625, 100], [15_625, 0]));
    expect(values(disks.sweep(T0 + 2000))).toEqual({ "disk:sda": 8, "disk:nvme0n1": 0, "disk:total": 8 });
  });

  it("keeps a disk that disappears as missing, and adds one that appears", () => {
    const root = fakeRoot();
    writeDiskstats(root, rows([0, 0], [0, 0]));
    const disks = new DiskThroughputSource(root.dir);
    disks.sweep(T0);
    writeDiskstats(root, [{ name: "sda", sectorsRead: 15_625, sectorsWritten: 0 }, { name: "sdb", sectorsRead: 0, sectorsWritten: 0 }]);
    const readings = disks.sweep(T0 + 1000);
    expect(values(readings)).toEqual({ "disk:sda": 8, "disk:nvme0n1": null, "disk:sdb": null, "disk:total": null });
    expect(readings.find((r) => r.id === "disk:nvme0n1")?.error).toMatch(/nvme0n1 not in/);
    expect(disks.manifest().map((m) => m.id)).toEqual(["disk:sda", "disk:nvme0n1", "disk:sdb", "disk:total"]);
    writeDiskstats(root, [{ name: "sda", sectorsRead: 15_625, sectorsWritten: 0 }, { name: "sdb", sectorsRead: 15_625, sectorsWritten: 0 }]);
    expect(values(disks.sweep(T0 + 2000))).toEqual({ "disk:sda": 0, "disk:nvme0n1": null, "disk:sdb": 8, "disk:total": 8 });
  });

  it("reports every known disk as null when /proc/diskstats cannot be read", () => {
    const root = fakeRoot();
    writeDiskstats(root, rows([0, 0], [0, 0]));
    const disks = new DiskThroughputSource(root.dir);
    root.remove("/proc/diskstats");
    const readings = disks.sweep(T0);
    expect(values(readings)).toEqual({ "disk:sda": null, "disk:nvme0n1": null, "disk:total": null });
    expect(readings[0]?.error).toMatch(/cannot read/);
  });
});
