import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SimFleet, simHostId } from "../../firmware-sim/fleet.js";
import { listProfiles } from "../../firmware-sim/profiles/index.js";
import type { Workload } from "../../firmware-sim/workloads/index.js";
import { parseSimOptions, startSimFleet, type SimCliOptions } from "../../src/cli/sim-command.js";
import { ManualClock } from "../../src/core/clock.js";
import { ErrorCode, isCoolfleetError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";

let root: string;
beforeEach(() => {
  root = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "coolfleet-sim-fleet-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function hwmonByName(hostRoot: string, name: string): string {
  const classDir = join(hostRoot, "sys/class/hwmon");
  const entry = readdirSync(classDir).find((e) => readFileSync(join(classDir, e, "name"), "utf8") === `${name}\n`);
  if (!entry) throw new Error(`no ${name} chip under ${hostRoot}`);
  return join(classDir, entry);
}

const flatOut: Workload = { name: "flat-out", durationS: 600, at: () => ({ cpuUtil: 1, diskMBps: 0, inletC: 25 }) };

describe("SimFleet", () => {
  it("creates one tree per host with ids sim-000…, cycling profiles and workloads", () => {
    const clock = new ManualClock();
    const fleet = new SimFleet({ hosts: 4, root, seed: 7, clock, profiles: ["poweredge-r740-air", "macpro-2019"], workloads: ["W1", flatOut] });
    expect(fleet.hostIds).toEqual(["sim-000", "sim-001", "sim-002", "sim-003"]);
    expect(readdirSync(root).sort()).toEqual(["sim-000", "sim-001", "sim-002", "sim-003"]);
    expect(fleet.hosts().map((h) => h.profile.id)).toEqual(["poweredge-r740-air", "macpro-2019", "poweredge-r740-air", "macpro-2019"]);
    expect(fleet.hosts().map((h) => h.workload.name)[1]).toBe("flat-out");
    expect(fleet.host("sim-002").root).toBe(join(root, "sim-002"));
    expect(readFileSync(join(hwmonByName(join(root, "sim-001"), "applesmc"), "fan1_manual"), "utf8")).toBe("0\n");
    expect(() => fleet.host("sim-009")).toThrow(/no simulated host "sim-009"/);
  });

  it("steps every host on the injected clock: stepS of simulated time per stepS / speed of clock time", () => {
    const clock = new ManualClock();
    const fleet = new SimFleet({ hosts: 3, root, seed: 1, clock, workloads: [flatOut], speed: 2, stepS: 0.5 });
    fleet.start();
    expect(fleet.running).toBe(true);
    clock.advance(249);
    expect(fleet.hosts().map((h) => h.elapsedS)).toEqual([0, 0, 0]);
    clock.advance(1);
    expect(fleet.hosts().map((h) => h.elapsedS)).toEqual([0.5, 0.5, 0.5]);
    clock.advance(30_000 - 250);
    for (const host of fleet.hosts()) {
      expect(host.elapsedS).toBe(60);
      expect(host.snapshot().timeS).toBeCloseTo(60, 6);
      expect(host.snapshot().cpuUtil).toBe(1);
    }
    // A minute at full load heats the dies, and the sensor files follow.
    const coretemp = hwmonByName(fleet.host("sim-001").root, "coretemp");
    expect(Number.parseInt(readFileSync(join(coretemp, "temp1_input"), "utf8"), 10)).toBeGreaterThan(50_000);
    fleet.stop();
    expect(fleet.running).toBe(false);
    clock.advance(10_000);
    expect(fleet.hosts().map((h) => h.elapsedS)).toEqual([60, 60, 60]);
  });

  it("gives hosts of the same profile different (seeded) parameters and reproduces them from the seed", () => {
    const run = (seed: number, dir: string): number[] => {
      const fleet = new SimFleet({ hosts: 3, root: join(root, dir), seed, clock: new ManualClock(), workloads: [flatOut] });
      for (let i = 0; i < 120; i++) fleet.stepAll();
      return fleet.hosts().map((h) => h.snapshot().sockets[0]?.dieC ?? NaN);
    };
    const a = run(5, "a");
    expect(run(5, "b")).toEqual(a);
    expect(new Set(a).size).toBe(3);
    expect(run(6, "c")).not.toEqual(a);
  });

  it("lets a consumer take a fan of one host into manual mode without touching the others", () => {
    const fleet = new SimFleet({ hosts: 2, root, seed: 3, clock: new ManualClock(), workloads: [flatOut] });
    const sio = hwmonByName(fleet.host("sim-000").root, "nct6798");
    writeFileSync(join(sio, "pwm1_enable"), "1");
    writeFileSync(join(sio, "pwm1"), "255");
    fleet.stepAll();
    expect(fleet.host("sim-000").fanControl()[0]).toEqual({ mode: "manual", cmdPct: 100 });
    expect(fleet.host("sim-001").fanControl()[0]?.mode).toBe("firmware");
    for (let i = 0; i < 20; i++) fleet.stepAll();
    expect(fleet.host("sim-000").snapshot().fans[0]?.speedPct).toBeGreaterThan(95);
  });

  it("reads the dead fan and the sentinel on a real physics host", () => {
    const fleet = new SimFleet({ hosts: 1, root, seed: 3, clock: new ManualClock(), workloads: [flatOut] });
    const host = fleet.host("sim-000");
    host.setFanDead(2, true);
    host.injectSensorFault("coretemp.1:Package id 1", { kind: "sentinel", value: 129 });
    for (let i = 0; i < 20; i++) fleet.stepAll();
    const sio = hwmonByName(host.root, "nct6798");
    expect(readFileSync(join(sio, "fan3_input"), "utf8")).toBe("0\n");
    expect(host.snapshot().fans[2]?.dead).toBe(true);
    const packages = readdirSync(join(host.root, "sys/class/hwmon"))
      .map((e) => join(host.root, "sys/class/hwmon", e))
      .filter((d) => readFileSync(join(d, "name"), "utf8") === "coretemp\n")
      .map((d) => [readFileSync(join(d, "temp1_label"), "utf8"), readFileSync(join(d, "temp1_input"), "utf8")]);
    expect(packages).toContainEqual(["Package id 1\n", "129000\n"]);
  });

  it("rejects a fleet of no hosts and a bad speed with a usage error", () => {
    const check = (f: () => unknown, pattern: RegExp): void => {
      try {
        f();
        expect.unreachable();
      } catch (err) {
        expect(isCoolfleetError(err, ErrorCode.UsageInvalid)).toBe(true);
        expect((err as Error).message).toMatch(pattern);
      }
    };
    check(() => new SimFleet({ hosts: 0, root, seed: 1, clock: new ManualClock() }), /hosts/);
    check(() => new SimFleet({ hosts: 1, root, seed: 1, clock: new ManualClock(), speed: 0 }), /speed/);
  });

  it("widens host ids past 1000 hosts so they still sort", () => {
    expect(simHostId(7, 10)).toBe("sim-007");
    expect(simHostId(7, 1001)).toBe("sim-0007");
  });
});

describe("coolfleet sim options", () => {
  const base: SimCliOptions = { hosts: "3", root: "/tmp/x", seed: "1", speed: "1", stepS: "0.5", logLevel: "info" };
  const profiles = ["macpro-2019", "poweredge-r740-air", "poweredge-r750-liquid"];

  it("parses a full command line", () => {
    expect(parseSimOptions({ ...base, profile: "macpro-2019,poweredge-r750-liquid", workload: "W1,W10", speed: "10" }, profiles)).toEqual({
      hosts: 3,
      root: "/tmp/x",
      seed: 1,
      profiles: ["macpro-2019", "poweredge-r750-liquid"],
      workloads: ["W1", "W10"],
      speed: 10,
      stepS: 0.5,
      logLevel: "info",
    });
  });

  it.each([
    [{ hosts: undefined }, /--hosts is required/],
    [{ root: undefined }, /--root is required/],
    [{ hosts: "0" }, /--hosts must be a whole number from 1/],
    [{ hosts: "2.5" }, /--hosts/],
    [{ seed: "-1" }, /--seed/],
    [{ speed: "fast" }, /--speed must be a positive number/],
    [{ speed: "0" }, /--speed/],
    [{ profile: "poweredge-r640" }, /unknown profile "poweredge-r640"; known profiles: macpro-2019/],
    [{ profile: "macpro-2019,,poweredge-r740-air" }, /empty entry/],
    [{ workload: "W5" }, /unknown workload "W5"/],
    [{ workload: "W1", trace: "t.csv" }, /--trace and --workload exclude each other/],
    [{ logLevel: "loud" }, /--log-level/],
  ] as [Partial<SimCliOptions>, RegExp][])("rejects %o", (patch, pattern) => {
    try {
      parseSimOptions({ ...base, ...patch }, profiles);
      expect.unreachable();
    } catch (err) {
      expect(isCoolfleetError(err, ErrorCode.UsageInvalid)).toBe(true);
      expect((err as Error).message).toMatch(pattern);
    }
  });

  it("starts the fleet, prints one line per host, and replays a trace on every host", async () => {
    const trace = join(root, "trace.csv");
    writeFileSync(trace, "t_s,cpu_util,disk_mbps,inlet_c\n0,0.2,10,24\n60,0.8,,\n");
    const lines: string[] = [];
    const clock = new ManualClock();
    const options = parseSimOptions({ ...base, hosts: "2", root: join(root, "fleet"), trace, profile: "poweredge-r750-liquid" }, listProfiles());
    const fleet = await startSimFleet(options, clock, silentLogger(), (line) => lines.push(line));
    expect(lines).toEqual([
      `sim-000\tpoweredge-r750-liquid\t${fleet.host("sim-000").workload.name}\t${join(root, "fleet", "sim-000")}\n`,
      `sim-001\tpoweredge-r750-liquid\t${fleet.host("sim-001").workload.name}\t${join(root, "fleet", "sim-001")}\n`,
    ]);
    clock.advance(2000);
    expect(fleet.host("sim-001").elapsedS).toBe(2);
    expect(fleet.host("sim-001").snapshot().cpuUtil).toBeCloseTo(0.2, 1);
    fleet.stop();
  });
});
