import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createWorkload, loadTraceCsv, parseTraceCsv, type Workload, type WorkloadId, type WorkloadPoint } from "../../firmware-sim/workloads/index.js";
import { ErrorCode, isCoolfleetError } from "../../src/core/errors.js";

const IDS: WorkloadId[] = ["W1", "W2", "W3", "W4", "W7", "W10"];

function series(workload: Workload, stepS = 1): WorkloadPoint[] {
  const points: WorkloadPoint[] = [];
  for (let t = 0; t <= workload.durationS; t += stepS) points.push(workload.at(t));
  return points;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** Lengths of the runs where pred holds, in samples. */
function runs(points: WorkloadPoint[], pred: (p: WorkloadPoint) => boolean): number[] {
  const lengths: number[] = [];
  let current = 0;
  for (const p of points) {
    if (pred(p)) current++;
    else if (current > 0) {
      lengths.push(current);
      current = 0;
    }
  }
  if (current > 0) lengths.push(current);
  return lengths;
}

describe("synthetic workloads", () => {
  it.each(IDS)("%s is deterministic for a seed, differs between seeds and stays in range", (id) => {
    const a = series(createWorkload(id, { seed: 5 }), 7);
    const b = series(createWorkload(id, { seed: 5 }), 7);
    const c = series(createWorkload(id, { seed: 6 }), 7);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    for (const p of a) {
      expect(p.cpuUtil).toBeGreaterThanOrEqual(0);
      expect(p.cpuUtil).toBeLessThanOrEqual(1);
      expect(p.diskMBps).toBeGreaterThanOrEqual(0);
      expect(Number.isFinite(p.inletC)).toBe(true);
    }
  });

  it.each(IDS)("%s holds its last point past the end and its first before the start", (id) => {
    const workload = createWorkload(id, { seed: 3 });
    expect(workload.at(workload.durationS + 5000)).toEqual(workload.at(workload.durationS));
    expect(workload.at(-10)).toEqual(workload.at(0));
    expect(workload.name).toBe(id);
  });

  it("takes the inlet temperature and duration from the options", () => {
    const workload = createWorkload("W1", { inletC: 32, durationS: 1234 });
    expect(workload.durationS).toBe(1234);
    expect(workload.at(100).inletC).toBe(32);
  });

  it("W1 alternates idle and full load in phases of about five minutes", () => {
    const points = series(createWorkload("W1", { seed: 2, durationS: 7200 }));
    expect(mean(points.slice(0, 60).map((p) => p.cpuUtil))).toBeLessThan(0.05);
    const fullRuns = runs(points, (p) => p.cpuUtil > 0.5);
    const idleRuns = runs(points, (p) => p.cpuUtil <= 0.5);
    expect(fullRuns.length).toBeGreaterThanOrEqual(8);
    // Inner runs only: the last one is cut by the end of the workload.
    for (const length of [...fullRuns.slice(0, -1), ...idleRuns.slice(0, -1)]) {
      expect(length).toBeGreaterThanOrEqual(200);
      expect(length).toBeLessThanOrEqual(400);
    }
    expect(mean(points.filter((p) => p.cpuUtil > 0.5).map((p) => p.cpuUtil))).toBeGreaterThan(0.95);
  });

  it("W2 ramps from 0 to 100 % over ten minutes, then holds", () => {
    const workload = createWorkload("W2", { seed: 1 });
    expect(workload.at(0).cpuUtil).toBeLessThan(0.06);
    expect(workload.at(300).cpuUtil).toBeCloseTo(0.5, 1);
    expect(workload.at(450).cpuUtil).toBeCloseTo(0.75, 1);
    expect(workload.at(650).cpuUtil).toBeGreaterThan(0.94);
    expect(workload.durationS).toBeGreaterThan(600);
  });

  it("W3 bursts to 100 % for 30 s over a 20 % base", () => {
    const points = series(createWorkload("W3", { seed: 4, durationS: 3600 }));
    const bursts = runs(points, (p) => p.cpuUtil > 0.6);
    expect(bursts.length).toBeGreaterThanOrEqual(15);
    for (const length of bursts.slice(0, -1)) {
      expect(length).toBeGreaterThanOrEqual(29);
      expect(length).toBeLessThanOrEqual(31);
    }
    expect(mean(points.filter((p) => p.cpuUtil <= 0.6).map((p) => p.cpuUtil))).toBeCloseTo(0.2, 1);
  });

  it("W4 walks a SPECpower staircase down from 100 % in 10 % steps to active idle", () => {
    const workload = createWorkload("W4", { seed: 1 });
    const stepS = workload.durationS / 11;
    for (let k = 0; k <= 10; k++) {
      const level = mean(Array.from({ length: 30 }, (_, i) => workload.at(k * stepS + stepS / 2 - 15 + i).cpuUtil));
      expect(level).toBeCloseTo(Math.max(0, 1 - 0.1 * k), 1);
    }
  });

  it("W7 compresses a 24 h day: quiet at night, busy in the afternoon, a nightly backup on the disks", () => {
    const workload = createWorkload("W7", { seed: 8, timeCompression: 24 });
    expect(workload.durationS).toBe(3600);
    const hour = (h: number): number => (h / 24) * 3600;
    const around = (h: number, pick: (p: WorkloadPoint) => number): number => mean(Array.from({ length: 40 }, (_, i) => pick(workload.at(hour(h) - 20 + i))));
    expect(around(15, (p) => p.cpuUtil)).toBeGreaterThan(around(4, (p) => p.cpuUtil) + 0.4);
    expect(around(1.75, (p) => p.diskMBps)).toBeGreaterThan(5 * around(12, (p) => p.diskMBps));
    expect(Math.abs(workload.at(hour(15)).inletC - 25)).toBeLessThanOrEqual(1.0001);
    expect(createWorkload("W7").durationS).toBe(86_400);
  });

  it("W10 has sustained disk-heavy influx phases with moderate CPU", () => {
    const points = series(createWorkload("W10", { seed: 6 }));
    const influx = runs(points, (p) => p.diskMBps > 450);
    expect(influx.length).toBeGreaterThanOrEqual(1);
    expect(Math.max(...influx)).toBeGreaterThanOrEqual(600);
    const during = points.filter((p) => p.diskMBps > 450);
    expect(mean(during.map((p) => p.cpuUtil))).toBeLessThan(0.6);
    expect(mean(during.map((p) => p.cpuUtil))).toBeGreaterThan(0.2);
    expect(mean(points.map((p) => p.diskMBps))).toBeGreaterThan(150);
  });
});

describe("CSV traces", () => {
  const tmp = mkdtempSync(join(tmpdir(), "coolfleet-trace-"));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  function traceError(text: string): Error {
    try {
      parseTraceCsv(text, "t1");
    } catch (err) {
      expect(isCoolfleetError(err, ErrorCode.SimTraceInvalid)).toBe(true);
      return err as Error;
    }
    throw new Error("expected the trace to be rejected");
  }

  it("interpolates linearly between rows, holds empty cells and holds the last row past the end", () => {
    const trace = parseTraceCsv(["t_s,cpu_util,disk_mbps,inlet_c", "0,0.2,10,24", "10,0.6,,26", "# comment", "", "20,,30,"].join("\n"), "t1");
    expect(trace.name).toBe("t1");
    expect(trace.durationS).toBe(20);
    expect(trace.at(5)).toEqual({ cpuUtil: 0.4, diskMBps: 10, inletC: 25 });
    expect(trace.at(15)).toEqual({ cpuUtil: 0.6, diskMBps: 20, inletC: 26 });
    expect(trace.at(20)).toEqual({ cpuUtil: 0.6, diskMBps: 30, inletC: 26 });
    expect(trace.at(500)).toEqual(trace.at(20));
    expect(trace.at(-1)).toEqual(trace.at(0));
  });

  it("accepts columns in any order, CRLF line ends, and leaves out optional columns", () => {
    const trace = parseTraceCsv("cpu_util,t_s\r\n0.5,0\r\n1,100\r\n", "t2");
    expect(trace.at(50)).toEqual({ cpuUtil: 0.75, diskMBps: 0, inletC: 25 });
  });

  it.each([
    ["t_s,cpu_util\n0,abc\n", /line 2, column cpu_util: "abc" is not a number/],
    ["t_s,cpu_util\n0,0.5\n1,85\n", /line 3, column cpu_util: utilisation must be a fraction 0\.\.1/],
    ["t_s,cpu_util\n0,0.5\n5,0.5\n5,0.6\n", /line 4, column t_s: must increase/],
    ["t_s,cpu_util,inlet_c\n0,0.5,25\n1,0.5\n", /line 3: has 2 fields; the header has 3/],
    ["t_s,cpu_util,disk_mbps\n0,0.5,\n", /line 2, column disk_mbps: empty on the first data row/],
    ["t_s,cpu,inlet_c\n0,0.5,25\n", /line 1, column cpu: unknown column/],
    ["t_s,disk_mbps\n0,5\n", /line 1, column cpu_util: missing from the header/],
    ["t_s,cpu_util\n0,0.5\n,0.6\n", /line 3, column t_s: must not be empty/],
    ["t_s,cpu_util,inlet_c\n0,0.5,95\n", /column inlet_c: inlet temperature must lie in/],
    ["t_s,cpu_util\n", /no data rows/],
    ["", /no header/],
  ])("rejects %j naming the line and column", (text, message) => {
    const err = traceError(text);
    expect(err.message).toContain('trace "t1"');
    expect(err.message).toMatch(message);
  });

  it("loads a trace file named after the file", () => {
    const file = join(tmp, "alibaba-m1.csv");
    writeFileSync(file, "t_s,cpu_util,disk_mbps,inlet_c\n0,0.1,5,22\n60,0.9,50,23\n");
    const trace = loadTraceCsv(file);
    expect(trace.name).toBe("alibaba-m1");
    expect(trace.at(30).cpuUtil).toBeCloseTo(0.5, 9);
  });

  it("reports an unreadable file as an invalid trace", () => {
    const err = (() => {
      try {
        loadTraceCsv(join(tmp, "missing.csv"));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(isCoolfleetError(err, ErrorCode.SimTraceInvalid)).toBe(true);
    expect((err as Error).message).toContain("missing.csv");
  });
});

describe("time compression", () => {
  it("plays a workload faster without changing its shape", () => {
    const normal = createWorkload("W10", { seed: 4 });
    const fast = createWorkload("W10", { seed: 4, timeCompression: 5 });
    expect(fast.durationS).toBeCloseTo(normal.durationS / 5, 9);
    for (const tS of [0, 37, 120, 480, 1000]) expect(fast.at(tS)).toEqual(normal.at(tS * 5));
  });
});
