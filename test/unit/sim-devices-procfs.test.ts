import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { BYTES_PER_MB, ProcfsWriter, SECTOR_BYTES, USER_HZ } from "../../firmware-sim/devices/procfs.js";
import { SysfsFiles } from "../../firmware-sim/devices/sysfs-files.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "coolfleet-sim-procfs-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function procfs(cpuCount: number, drives: string[]): ProcfsWriter {
  return new ProcfsWriter({ hostRoot: root, cpuCount, drives, files: new SysfsFiles(join(root, ".tmp")), bootTimeS: 1_700_000_000 });
}

interface CpuLine {
  name: string;
  values: number[];
}

function readStat(): CpuLine[] {
  return readFileSync(join(root, "proc/stat"), "utf8")
    .split("\n")
    .filter((l) => l.startsWith("cpu"))
    .map((l) => {
      const [name, ...rest] = l.split(/\s+/);
      return { name: name as string, values: rest.map(Number) };
    });
}

/** Busy share of a cpu line delta, as top and node_exporter compute it: idle and iowait are not busy. */
function busyShare(before: number[], after: number[]): number {
  const delta = after.map((v, i) => v - (before[i] ?? 0));
  const total = delta.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (delta[3] ?? 0) + (delta[4] ?? 0);
  return (total - idle) / total;
}

function readDiskstats(): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const line of readFileSync(join(root, "proc/diskstats"), "utf8").trim().split("\n")) {
    const fields = line.trim().split(/\s+/);
    out.set(fields[2] as string, [Number(fields[0]), Number(fields[1]), ...fields.slice(3).map(Number)]);
  }
  return out;
}

describe("/proc/stat", () => {
  it("has an aggregate line, one line per CPU with ten counters, and btime", () => {
    const writer = procfs(4, []);
    writer.update(1, 0.5, 0);
    const text = readFileSync(join(root, "proc/stat"), "utf8");
    expect(text).toMatch(/^cpu {2}\d+( \d+){9}\n/);
    expect(text.endsWith("\n")).toBe(true);
    expect(readStat().map((l) => l.name)).toEqual(["cpu", "cpu0", "cpu1", "cpu2", "cpu3"]);
    for (const line of readStat()) expect(line.values).toHaveLength(10);
    expect(text).toMatch(/\nbtime 1700000000\n/);
    expect(text).toMatch(/\nctxt \d+\n/);
  });

  it("counts jiffies monotonically; deltas give back the utilisation and cpuCount × dt × USER_HZ", () => {
    const cpus = 8;
    const writer = procfs(cpus, ["sda"]);
    const utilAt = (step: number): number => [0.1, 0.9, 0.55, 0.3][Math.floor(step / 40) % 4] as number;
    let prev = readStat();
    for (let phase = 0; phase < 4; phase++) {
      const start = readStat();
      for (let i = 0; i < 40; i++) {
        writer.update(0.5, utilAt(phase * 40 + i), 150);
        const now = readStat();
        now.forEach((line, li) => line.values.forEach((v, vi) => expect(v).toBeGreaterThanOrEqual(prev[li]?.values[vi] ?? 0)));
        prev = now;
      }
      const end = readStat();
      const agg = (lines: CpuLine[]): number[] => lines[0]?.values ?? [];
      const totalJiffies = agg(end).reduce((a, b) => a + b, 0) - agg(start).reduce((a, b) => a + b, 0);
      // 20 s on 8 CPUs at 100 Hz; truncation of each counter costs at most one jiffy per counter per CPU.
      expect(Math.abs(totalJiffies - 20 * cpus * USER_HZ)).toBeLessThanOrEqual(10 * cpus);
      expect(busyShare(agg(start), agg(end))).toBeCloseTo(utilAt(phase * 40), 2);
      expect(busyShare(start[3]?.values ?? [], end[3]?.values ?? [])).toBeCloseTo(utilAt(phase * 40), 2);
    }
  });

  it("books part of the idle time as iowait only while the disks are busy", () => {
    const writer = procfs(2, ["sda"]);
    writer.update(10, 0.2, 0);
    const quiet = readStat()[0]?.values[4];
    expect(quiet).toBe(0);
    writer.update(10, 0.2, 200);
    expect(readStat()[0]?.values[4]).toBeGreaterThan(0);
  });
});

describe("/proc/diskstats", () => {
  it("writes one kernel-format line per drive with device numbers", () => {
    procfs(2, ["sda", "sdb", "nvme0n1"]);
    const text = readFileSync(join(root, "proc/diskstats"), "utf8");
    const lines = text.trimEnd().split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^ {3}8 {7}0 sda( \d+){17}$/);
    expect(lines[1]).toMatch(/^ {3}8 {6}16 sdb( \d+){17}$/);
    expect(lines[2]).toMatch(/^ 259 {7}0 nvme0n1( \d+){17}$/);
  });

  it("counts sectors consistent with the MB/s fed in, split into reads and writes, monotonically", () => {
    const writer = procfs(2, ["sda", "sdb"]);
    const before = readDiskstats();
    let prev = before;
    for (let i = 0; i < 60; i++) {
      writer.update(0.5, 0.3, i < 30 ? 80 : 240);
      const now = readDiskstats();
      for (const [name, fields] of now) fields.forEach((v, k) => {
        if (k !== 10) expect(v).toBeGreaterThanOrEqual(prev.get(name)?.[k] ?? 0); // field 10 is in_flight, a gauge
      });
      prev = now;
    }
    const after = readDiskstats();
    let sectors = 0;
    let readSectors = 0;
    for (const [name, fields] of after) {
      const was = before.get(name) ?? [];
      readSectors += (fields[4] ?? 0) - (was[4] ?? 0);
      sectors += (fields[4] ?? 0) - (was[4] ?? 0) + (fields[8] ?? 0) - (was[8] ?? 0);
      expect((fields[2] ?? 0) - (was[2] ?? 0)).toBeGreaterThan(0); // reads completed
      expect((fields[6] ?? 0) - (was[6] ?? 0)).toBeGreaterThan(0); // writes completed
    }
    const mb = (sectors * SECTOR_BYTES) / BYTES_PER_MB;
    // 15 s at 80 MB/s + 15 s at 240 MB/s.
    expect(mb).toBeCloseTo(15 * 80 + 15 * 240, 0);
    expect(readSectors / sectors).toBeCloseTo(0.6, 3);
  });
});
