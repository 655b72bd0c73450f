import { afterEach, describe, expect, it } from "vitest";
import { CpuLoadSource, parseProcStatCpu } from "../../src/hardware/procfs/index.js";
import { FakeRoot } from "../fixtures/sysfs/fake-root.js";
import { writeProcStat } from "../fixtures/sysfs/procfs-files.js";

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

describe("parseProcStatCpu", () => {
  it("counts iowait as idle and leaves guest time out (the kernel already counts it in user)", () => {
    const ticks = parseProcStatCpu("cpu  100 10 50 800 40 0 0 0 60 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n");
    expect(ticks).toEqual({ busy: 160, total: 1000 });
  });

  it("reads older kernels' shorter line and rejects a file without the aggregate line", () => {
    expect(parseProcStatCpu("cpu 10 0 10 80\n")).toEqual({ busy: 20, total: 100 });
    expect(parseProcStatCpu("cpu0 10 0 10 80\n")).toBeUndefined();
  });
});

describe("CpuLoadSource", () => {
  it("reports utilisation from the change between sweeps, null while warming up", () => {
    const root = fakeRoot();
    writeProcStat(root, { user: 1000, system: 500, idle: 8500 });
    const cpu = new CpuLoadSource(root.dir);
    expect(cpu.manifest()).toEqual([{ id: "cpu:util", kind: "load", unit: "pct" }]);
    expect(cpu.sweep(T0)).toEqual([{ id: "cpu:util", kind: "load", unit: "pct", value: null, sampledAtMs: T0, error: "warming up: first sample" }]);

    writeProcStat(root, { user: 1300, system: 600, idle: 8600, iowait: 0 }); // +400 busy of +500
    expect(cpu.sweep(T0 + 1000)[0]).toMatchObject({ value: 80, sampledAtMs: T0 + 1000 });
    writeProcStat(root, { user: 1300, system: 600, idle: 8900, iowait: 100 }); // idle only
    expect(cpu.sweep(T0 + 2000)[0]?.value).toBe(0);
  });

  it("treats counters that went backwards as a restart, never a negative load", () => {
    const root = fakeRoot();
    writeProcStat(root, { user: 5000, system: 1000, idle: 4000 });
    const cpu = new CpuLoadSource(root.dir);
    cpu.sweep(T0);
    writeProcStat(root, { user: 10, system: 10, idle: 80 });
    expect(cpu.sweep(T0 + 1000)[0]).toMatchObject({ value: null, error: "counters went backwards; new baseline" });
    writeProcStat(root, { user: 60, system: 10, idle: 130 });
    expect(cpu.sweep(T0 + 2000)[0]?.value).toBe(50);
  });

  it("keeps its baseline across a sweep in which no tick elapsed", () => {
    const root = fakeRoot();
    writeProcStat(root, { user: 100, system: 0, idle: 100 });
    const cpu = new CpuLoadSource(root.dir);
    cpu.sweep(T0);
    expect(cpu.sweep(T0 + 1)[0]?.error).toMatch(/no CPU time elapsed/);
    writeProcStat(root, { user: 125, system: 0, idle: 175 });
    expect(cpu.sweep(T0 + 1000)[0]?.value).toBe(25);
  });

  it("reports a missing /proc/stat as null with the reason", () => {
    const cpu = new CpuLoadSource(fakeRoot().dir);
    expect(cpu.sweep(T0)[0]).toMatchObject({ value: null, error: expect.stringMatching(/cannot read .*proc\/stat/) as unknown });
  });
});
