import { afterAll, describe, expect, it } from "vitest";
import { SensorSweep } from "../../src/agent/sweep.js";
import { HwmonDiscovery, HwmonSensorSource } from "../../src/hardware/hwmon/index.js";
import { CpuLoadSource, DiskThroughputSource } from "../../src/hardware/procfs/index.js";
import { FakeRoot } from "../fixtures/sysfs/fake-root.js";
import { writeDiskstats, writeProcStat } from "../fixtures/sysfs/procfs-files.js";
import { buildServerTree } from "../fixtures/sysfs/server-tree.js";

/**
 * Prints what a sweep of a 30-file hwmon tree plus procfs costs on this machine. No timing assertion: CI machines
 * vary, and speed is the benchmark's business. This only shows the number next to the functional tests.
 */
describe("sweep cost", () => {
  const root = new FakeRoot();
  afterAll(() => root.cleanup());

  it("prints the cost of one sweep over a 30-file hwmon tree and procfs", () => {
    buildServerTree(root);
    writeProcStat(root, { user: 1000, system: 500, idle: 8500 }, 32);
    writeDiskstats(root, [
      { name: "sda", sectorsRead: 1, sectorsWritten: 1 },
      { name: "sda1", sectorsRead: 1, sectorsWritten: 1 },
      { name: "sdb", sectorsRead: 1, sectorsWritten: 1 },
    ]);
    const hwmon = new HwmonSensorSource({ root: root.dir, rediscoverEverySweeps: Number.MAX_SAFE_INTEGER });
    const sweep = new SensorSweep([hwmon, new CpuLoadSource(root.dir), new DiskThroughputSource(root.dir)]);
    const hwmonOnly = new SensorSweep([hwmon]);
    const T0 = 1_700_000_000_000;
    for (let i = 0; i < 50; i++) sweep.run(T0 + i * 1000); // warm up the JIT and the page cache

    const all: number[] = [];
    const hwmonMs: number[] = [];
    for (let i = 0; i < 500; i++) {
      all.push(sweep.run(T0 + (50 + i) * 1000).durationMs);
      hwmonMs.push(hwmonOnly.run(T0 + (50 + i) * 1000).durationMs);
    }
    const readings = sweep.run(T0 + 600_000).readings;
    expect(readings).toHaveLength(30 + 1 + 3);

    const fmt = (xs: number[]): string => {
      const s = [...xs].sort((a, b) => a - b);
      const at = (q: number): string => s[Math.min(s.length - 1, Math.floor(q * s.length))]!.toFixed(3);
      return `median ${at(0.5)} ms, p99 ${at(0.99)} ms, max ${at(1)} ms`;
    };
    const discoveryMs: number[] = [];
    const discovery = new HwmonDiscovery(root.dir);
    for (let i = 0; i < 100; i++) {
      const startMs = performance.now();
      discovery.discover();
      discoveryMs.push(performance.now() - startMs);
    }
    const checkMs: number[] = [];
    for (let i = 0; i < 100; i++) {
      const startMs = performance.now();
      discovery.changedSinceDiscover();
      checkMs.push(performance.now() - startMs);
    }
    console.log(`sweep of 30 hwmon files: ${fmt(hwmonMs)}`);
    console.log(`hwmon change check (what a sweep runs every 60 sweeps): ${fmt(checkMs)}`);
    console.log(`hwmon full discovery of the same tree (only when the change check fires): ${fmt(discoveryMs)}`);
    console.log(`sweep of 30 hwmon files + /proc/stat + /proc/diskstats: ${fmt(all)}`);
  });
});
