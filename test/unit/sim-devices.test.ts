import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, readdirSync, realpathSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { DeviceProfile, PhysicsHost, WorkloadSource } from "../../firmware-sim/devices/device-contracts.js";
import { StepwiseFanCurve } from "../../firmware-sim/devices/firmware-fan-curve.js";
import { SimulatedHostDevice } from "../../firmware-sim/devices/simulated-host.js";
import type { SimInputs, SimSnapshot } from "../../firmware-sim/physics/types.js";
import { loadProfile } from "../../firmware-sim/profiles/index.js";
import { ErrorCode, isCoolfleetError } from "../../src/core/errors.js";

/** A physics stand-in whose true values the test sets directly; fans follow their command at once. */
class FakePhysics implements PhysicsHost {
  readonly inputs: SimInputs[] = [];
  readonly dead = new Set<number>();
  snap: SimSnapshot;

  constructor(
    readonly hostId: string,
    readonly profile: DeviceProfile,
  ) {
    this.snap = {
      hostId,
      profileId: profile.id,
      timeS: 0,
      cpuUtil: 0,
      diskMBps: 0,
      inletC: 24,
      exhaustC: 35,
      cpuCount: profile.cpuCount,
      sockets: Array.from({ length: profile.sockets }, (_, s) => ({
        dieC: 60 + s,
        coreC: [58 + s, 57 + s, 56 + s, 55 + s, 54 + s],
        sinkC: 45,
        dynamicW: 100,
        leakageW: 10,
        throttled: false,
      })),
      fans: Array.from({ length: profile.fans.count }, () => ({ speedPct: 30, rpm: 0.3 * profile.fans.maxRpm, powerW: 1, dead: false })),
      drives: profile.drives.map((d) => ({ name: d.name, tempC: 35, powerW: 5 })),
      ...(profile.coolingKind === "liquid"
        ? { liquid: { pumpSpeedPct: 60, pumpRpm: 2880, pumpPowerW: 4, flowLpm: 2.4, coolantSupplyC: 30.4, coolantReturnC: 36 } }
        : {}),
      coolingPowerW: 20,
      serverPowerW: 412.3,
      tjMaxC: profile.tjMaxC,
    };
  }

  step(dtS: number, inputs: SimInputs): void {
    this.inputs.push(inputs);
    this.snap = {
      ...this.snap,
      timeS: this.snap.timeS + dtS,
      cpuUtil: inputs.cpuUtil,
      diskMBps: inputs.diskMBps,
      fans: inputs.fanCmdPct.map((pct, i) => {
        const dead = this.dead.has(i);
        return { speedPct: dead ? 0 : pct, rpm: dead ? 0 : (pct / 100) * this.profile.fans.maxRpm, powerW: 1, dead };
      }),
    };
  }

  snapshot(): SimSnapshot {
    return this.snap;
  }

  setFanDead(index: number, dead: boolean): void {
    if (dead) this.dead.add(index);
    else this.dead.delete(index);
  }

  lastInputs(): SimInputs {
    const last = this.inputs[this.inputs.length - 1];
    if (!last) throw new Error("not stepped yet");
    return last;
  }

  setDieC(tempC: number): void {
    this.snap = { ...this.snap, sockets: this.snap.sockets.map((s) => ({ ...s, dieC: tempC })) };
  }
}

const steadyWorkload: WorkloadSource = { name: "steady", durationS: 3600, at: () => ({ cpuUtil: 0.5, diskMBps: 100, inletC: 24 }) };

/** A profile without noise or lag, so a file shows exactly the true value, quantised. */
function exactProfile(id: string): DeviceProfile {
  const p = loadProfile(id);
  return { ...p, sensors: { noiseC: 0, lagS: 0, quantC: 1 } };
}

let root: string;
beforeEach(() => {
  // tmpfs when there is one: on disk filesystems every atomic replace costs a journal flush.
  root = mkdtempSync(join(existsSync("/dev/shm") ? "/dev/shm" : tmpdir(), "coolfleet-sim-devices-"));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
});

function makeHost(profile: DeviceProfile, seed = 1, dir = "host"): { device: SimulatedHostDevice; physics: FakePhysics; hostRoot: string } {
  const physics = new FakePhysics("sim-test", profile);
  const hostRoot = join(root, dir);
  const device = new SimulatedHostDevice({ physics, profile, workload: steadyWorkload, root: hostRoot, seed });
  return { device, physics, hostRoot };
}

/** Chip name → hwmon directory (as an agent finds it: by name, through the class links). */
function hwmonByName(hostRoot: string): Map<string, string[]> {
  const classDir = join(hostRoot, "sys/class/hwmon");
  const out = new Map<string, string[]>();
  for (const entry of readdirSync(classDir).sort()) {
    const dir = join(classDir, entry);
    const name = readFileSync(join(dir, "name"), "utf8").trim();
    out.set(name, [...(out.get(name) ?? []), dir]);
  }
  return out;
}

function chipDir(hostRoot: string, name: string, index = 0): string {
  const dir = hwmonByName(hostRoot).get(name)?.[index];
  if (!dir) throw new Error(`no ${name} chip`);
  return dir;
}

function read(dir: string, file: string): string {
  return readFileSync(join(dir, file), "utf8");
}

function readInt(dir: string, file: string): number {
  return Number.parseInt(read(dir, file), 10);
}

describe("hwmon tree layout", () => {
  it("links every sys/class/hwmon entry to a real device directory with name and device, like the kernel", () => {
    const { device, hostRoot } = makeHost(exactProfile("poweredge-r740-air"));
    const classDir = join(hostRoot, "sys/class/hwmon");
    const entries = readdirSync(classDir);
    expect(entries.length).toBe(device.chips().length);
    for (const entry of entries) {
      const link = join(classDir, entry);
      expect(lstatSync(link).isSymbolicLink()).toBe(true);
      expect(readlinkSync(link)).toMatch(/^\.\.\/\.\.\/devices\//);
      const real = realpathSync(link);
      expect(real).toMatch(new RegExp(`/sys/devices/.+/hwmon/${entry}$`));
      expect(lstatSync(join(real, "device")).isSymbolicLink()).toBe(true);
      expect(realpathSync(join(real, "device"))).toBe(realpathSync(join(real, "../..")));
      expect(read(link, "name")).toMatch(/^[a-z0-9_]+\n$/);
    }
    const byName = hwmonByName(hostRoot);
    expect([...byName.keys()].sort()).toEqual(["coretemp", "drivetemp", "nct6798", "power_meter"]);
    expect(byName.get("coretemp")).toHaveLength(2);
    expect(byName.get("drivetemp")).toHaveLength(4);
    expect(realpathSync(chipDir(hostRoot, "nct6798"))).toContain("/sys/devices/platform/nct6775.656/hwmon/");
    expect(realpathSync(join(chipDir(hostRoot, "power_meter"), "device"))).toMatch(/ACPI000D:00$/);
  });

  it("writes PowerEdge sensors in kernel units with a trailing newline", () => {
    const { hostRoot } = makeHost(exactProfile("poweredge-r740-air"));
    const coretemps = hwmonByName(hostRoot).get("coretemp") ?? [];
    const packages = coretemps.map((dir) => read(dir, "temp1_label")).sort();
    expect(packages).toEqual(["Package id 0\n", "Package id 1\n"]);
    const socket1 = coretemps.find((dir) => read(dir, "temp1_label") === "Package id 1\n") as string;
    expect(realpathSync(join(socket1, "device"))).toMatch(/platform\/coretemp\.1$/);
    expect(read(socket1, "temp1_input")).toBe("61000\n");
    expect(["temp2", "temp3", "temp4", "temp5"].map((t) => read(socket1, `${t}_label`))).toEqual(["Core 0\n", "Core 1\n", "Core 2\n", "Core 3\n"]);
    expect(read(socket1, "temp2_input")).toBe("59000\n");
    expect(read(socket1, "temp1_crit")).toBe("100000\n");

    const sio = chipDir(hostRoot, "nct6798");
    expect(read(sio, "temp1_label")).toBe("SYSTIN\n");
    expect(read(sio, "temp1_input")).toBe("24000\n");
    expect(read(sio, "temp2_label")).toBe("Exhaust\n");
    expect(read(sio, "temp2_input")).toBe("35000\n");
    for (let n = 1; n <= 6; n++) {
      expect(read(sio, `fan${n}_input`)).toMatch(/^\d+\n$/);
      expect(read(sio, `pwm${n}`)).toMatch(/^\d+\n$/);
      expect(read(sio, `pwm${n}_enable`)).toBe("2\n");
    }
    expect(existsSync(join(sio, "pwm7"))).toBe(false);
    // 30 % of 15600 RPM through a 1.35 MHz tachometer: count 288 → 4688 RPM.
    expect(readInt(sio, "fan1_input")).toBe(Math.round(1_350_000 / Math.round(1_350_000 / 4680)));

    const drives = (hwmonByName(hostRoot).get("drivetemp") ?? []).map((dir) => realpathSync(join(dir, "device")));
    expect(drives[0]).toMatch(/target\d:0:0\/\d:0:0:0$/);
    for (const dir of hwmonByName(hostRoot).get("drivetemp") ?? []) expect(read(dir, "temp1_input")).toBe("35000\n");
    expect(readdirSync(join(hostRoot, "sys/block")).sort()).toEqual(["sda", "sdb", "sdc", "sdd"]);
    expect(realpathSync(join(hostRoot, "sys/block/sdb"))).toMatch(/1:0:0:0\/block\/sdb$/);

    // 412.3 W averaged and reported in whole watts, in microwatts.
    expect(read(chipDir(hostRoot, "power_meter"), "power1_average")).toBe("412000000\n");
  });

  it("adds the D5 Next pump controller and NVMe drive chips on the liquid-cooled PowerEdge", () => {
    const { hostRoot } = makeHost(exactProfile("poweredge-r750-liquid"));
    const byName = hwmonByName(hostRoot);
    expect([...byName.keys()].sort()).toEqual(["coretemp", "d5next", "nct6798", "nvme", "power_meter"]);
    const pump = chipDir(hostRoot, "d5next");
    expect(realpathSync(join(pump, "device"))).toMatch(/0003:0C70:F00E\.\d+$/);
    expect(read(pump, "temp1_label")).toBe("Coolant temp\n");
    expect(read(pump, "temp1_input")).toBe("30000\n");
    expect(read(pump, "fan1_label")).toBe("Pump speed\n");
    expect(read(pump, "fan1_input")).toBe("2880\n");
    expect(read(pump, "fan2_label")).toBe("Flow speed [dL/h]\n");
    expect(read(pump, "fan2_input")).toBe("1440\n"); // 2.4 L/min
    expect(read(pump, "pwm1_enable")).toBe("2\n");
    expect(read(pump, "pwm1")).toBe("153\n"); // firmwarePumpPct 60 %
    const nvme = byName.get("nvme") ?? [];
    expect(nvme).toHaveLength(2);
    expect(read(nvme[0] as string, "temp1_label")).toBe("Composite\n");
    expect(realpathSync(nvme[0] as string)).toMatch(/\/nvme\/nvme\d\/hwmon\d+$/);
    expect(realpathSync(join(hostRoot, "sys/block/nvme1n1"))).toMatch(/nvme\/nvme1\/nvme1n1$/);
  });

  it("exposes the Mac Pro fans through applesmc (min/max/output/manual, no pwm)", () => {
    const { hostRoot } = makeHost(exactProfile("macpro-2019"));
    const byName = hwmonByName(hostRoot);
    expect([...byName.keys()].sort()).toEqual(["applesmc", "coretemp", "drivetemp"]);
    const smc = chipDir(hostRoot, "applesmc");
    expect(realpathSync(join(smc, "device"))).toMatch(/platform\/applesmc\.768$/);
    const labels = readdirSync(smc).filter((f) => /^temp\d+_label$/.test(f)).map((f) => read(smc, f).trim());
    expect(labels).toEqual(expect.arrayContaining(["TA0P", "TC0P", "TC0D"]));
    expect(readdirSync(smc).filter((f) => f.startsWith("pwm"))).toEqual([]);
    expect(read(smc, "fan1_label")).toBe("Front 1\n");
    expect(read(smc, "fan4_label")).toBe("Blower\n");
    expect(read(smc, "fan1_min")).toBe("500\n");
    expect(read(smc, "fan1_max")).toBe("2000\n");
    expect(read(smc, "fan4_max")).toBe("2500\n");
    expect(read(smc, "fan1_manual")).toBe("0\n");
    expect(read(smc, "fan1_output")).toMatch(/^\d+\n$/);
  });

  it("numbers hwmon chips differently for different seeds and identically for the same seed", () => {
    const order = (seed: number, dir: string): string[] => {
      const { device } = makeHost(exactProfile("poweredge-r740-air"), seed, dir);
      return device.chips().map((c) => `${c.id}=hwmon${c.hwmonIndex}`);
    };
    const a = order(1, "a");
    expect(order(1, "b")).toEqual(a);
    expect(order(2, "c")).not.toEqual(a);
    expect(new Set(a.map((s) => s.split("=")[1])).size).toBe(a.length);
  });

  it("refuses a root that holds a sys tree the simulator did not create", () => {
    const hostRoot = join(root, "foreign");
    makeHost(exactProfile("poweredge-r740-air"), 1, "foreign");
    rmSync(join(hostRoot, ".coolfleet-sim"));
    try {
      makeHost(exactProfile("poweredge-r740-air"), 1, "foreign");
      expect.unreachable();
    } catch (err) {
      expect(isCoolfleetError(err, ErrorCode.UsageInvalid)).toBe(true);
    }
  });

  it("rebuilds its own tree on a rerun", () => {
    makeHost(exactProfile("poweredge-r740-air"), 1, "again");
    const { device } = makeHost(exactProfile("poweredge-r740-air"), 2, "again");
    expect(readdirSync(join(root, "again/sys/class/hwmon"))).toHaveLength(device.chips().length);
  });
});

describe("file writes", () => {
  it("replaces a changed sensor file atomically (new inode), leaves unchanged ones alone, never replaces control files", () => {
    const { device, physics, hostRoot } = makeHost(exactProfile("poweredge-r740-air"));
    const sio = chipDir(hostRoot, "nct6798");
    const c0 = (hwmonByName(hostRoot).get("coretemp") ?? []).find((d) => read(d, "temp1_label") === "Package id 0\n") as string;
    const inode = (dir: string, file: string): number => statSync(join(dir, file)).ino;
    device.step(0.5);
    device.step(0.5);
    const before = { inlet: inode(sio, "temp1_input"), die: inode(c0, "temp1_input"), pwm: inode(sio, "pwm1"), enable: inode(sio, "pwm1_enable") };
    physics.setDieC(82); // the die file changes, and the firmware raises the fans
    device.step(0.5);
    device.step(0.5);
    expect(read(c0, "temp1_input")).toBe("82000\n");
    expect(inode(c0, "temp1_input")).not.toBe(before.die);
    expect(inode(sio, "temp1_input")).toBe(before.inlet);
    expect(read(sio, "pwm1")).toBe("179\n");
    expect(inode(sio, "pwm1")).toBe(before.pwm);
    expect(inode(sio, "pwm1_enable")).toBe(before.enable);
    // No stray temp files next to the attributes a reader lists.
    expect(readdirSync(realpathSync(sio)).filter((f) => f.includes("tmp"))).toEqual([]);
  });
});

describe("fan control read-back", () => {
  it("runs a fan at the pwm a consumer wrote once pwm_enable is 1 (manual)", () => {
    const { device, physics, hostRoot } = makeHost(exactProfile("poweredge-r740-air"));
    const sio = chipDir(hostRoot, "nct6798");
    writeFileSync(join(sio, "pwm3_enable"), "1");
    writeFileSync(join(sio, "pwm3"), "200");
    device.step(0.5);
    expect(physics.lastInputs().fanCmdPct[2]).toBeCloseTo((200 / 255) * 100, 6);
    expect(device.fanControl()[2]).toEqual({ mode: "manual", cmdPct: (200 / 255) * 100 });
    expect(device.fanControl()[0]?.mode).toBe("firmware");
    expect(read(sio, "fan3_input")).not.toBe(read(sio, "fan1_input"));
    // The driver keeps what was written: no rewrite under the agent.
    expect(read(sio, "pwm3")).toBe("200");
    writeFileSync(join(sio, "pwm3"), "51\n");
    device.step(0.5);
    expect(physics.lastInputs().fanCmdPct[2]).toBeCloseTo(20, 6);
  });

  it("ignores pwm writes in automatic mode: the firmware drives the fan per its curve and shows its pwm", () => {
    const { device, physics, hostRoot } = makeHost(exactProfile("poweredge-r740-air"));
    const sio = chipDir(hostRoot, "nct6798");
    physics.setDieC(72); // r740 curve: [70, 50]
    writeFileSync(join(sio, "pwm1"), "10");
    device.step(0.5);
    device.step(0.5);
    expect(physics.lastInputs().fanCmdPct).toEqual([50, 50, 50, 50, 50, 50]);
    expect(device.fanControl()[0]).toEqual({ mode: "firmware", cmdPct: 50 });
    expect(read(sio, "pwm1")).toBe("128\n");
    // Hands back to firmware when the agent writes 2 again.
    writeFileSync(join(sio, "pwm1_enable"), "1");
    writeFileSync(join(sio, "pwm1"), "255");
    device.step(0.5);
    expect(physics.lastInputs().fanCmdPct[0]).toBe(100);
    writeFileSync(join(sio, "pwm1_enable"), "2");
    device.step(0.5);
    expect(physics.lastInputs().fanCmdPct[0]).toBe(50);
    expect(read(sio, "pwm1")).toBe("128\n");
  });

  it("steps the firmware curve up at once and down only past the hysteresis", () => {
    const { device, physics } = makeHost(exactProfile("poweredge-r740-air"));
    const cmdAt = (dieC: number): number => {
      physics.setDieC(dieC);
      device.step(0.5);
      device.step(0.5);
      return physics.lastInputs().fanCmdPct[0] as number;
    };
    expect(cmdAt(72)).toBe(50);
    expect(cmdAt(81)).toBe(70);
    expect(cmdAt(78)).toBe(70); // below the 80 °C step, within 3 °C
    expect(cmdAt(76.5)).toBe(60); // 3 °C below it: down one step
    expect(cmdAt(40)).toBe(20);
  });

  it("runs fans at full speed with pwm_enable 0", () => {
    const { device, physics, hostRoot } = makeHost(exactProfile("poweredge-r740-air"));
    const sio = chipDir(hostRoot, "nct6798");
    writeFileSync(join(sio, "pwm2_enable"), "0\n");
    device.step(0.5);
    device.step(0.5);
    expect(physics.lastInputs().fanCmdPct[1]).toBe(100);
    expect(device.fanControl()[1]?.mode).toBe("full");
    expect(read(sio, "pwm2")).toBe("255\n");
  });

  it("rejects invalid writes as the kernel would: the register keeps its value and the file shows it again", () => {
    const { device, physics, hostRoot } = makeHost(exactProfile("poweredge-r740-air"));
    const sio = chipDir(hostRoot, "nct6798");
    writeFileSync(join(sio, "pwm1_enable"), "1");
    writeFileSync(join(sio, "pwm1"), "100");
    device.step(0.5);
    expect(device.rejectedWrites).toBe(0);
    const bad = ["abc", "256", "-1", "12.5", " 90", "0x40", "7\n8\n"];
    bad.forEach((content, i) => {
      writeFileSync(join(sio, "pwm1"), content);
      device.step(0.5);
      expect(device.rejectedWrites).toBe(i + 1);
      expect(physics.lastInputs().fanCmdPct[0]).toBeCloseTo((100 / 255) * 100, 6);
      expect(read(sio, "pwm1")).toBe("100\n");
    });
    writeFileSync(join(sio, "pwm1_enable"), "9");
    device.step(0.5);
    expect(device.rejectedWrites).toBe(bad.length + 1);
    expect(device.fanControl()[0]?.mode).toBe("manual");
    expect(read(sio, "pwm1_enable")).toBe("1\n");
  });

  it("treats one empty read as a write in flight and a lasting empty file as an invalid write", () => {
    const { device, hostRoot } = makeHost(exactProfile("poweredge-r740-air"));
    const sio = chipDir(hostRoot, "nct6798");
    writeFileSync(join(sio, "pwm1_enable"), "");
    device.step(0.5);
    expect(device.rejectedWrites).toBe(0);
    writeFileSync(join(sio, "pwm1_enable"), "1\n");
    device.step(0.5);
    expect(device.fanControl()[0]?.mode).toBe("manual");
    writeFileSync(join(sio, "pwm1_enable"), "");
    device.step(0.5);
    device.step(0.5);
    expect(device.rejectedWrites).toBe(1);
    expect(read(sio, "pwm1_enable")).toBe("1\n");
  });

  it("drives the pump from the D5 Next pwm1 in manual mode and holds the CDU speed in automatic mode", () => {
    const { device, physics, hostRoot } = makeHost(exactProfile("poweredge-r750-liquid"));
    const pump = chipDir(hostRoot, "d5next");
    device.step(0.5);
    expect(physics.lastInputs().pumpCmdPct).toBe(60);
    writeFileSync(join(pump, "pwm1_enable"), "1");
    writeFileSync(join(pump, "pwm1"), "255");
    device.step(0.5);
    expect(physics.lastInputs().pumpCmdPct).toBe(100);
    expect(device.pumpControl()).toEqual({ mode: "manual", cmdPct: 100 });
  });

  it("drives Mac Pro fans through fan_manual and fan_output (target RPM, clamped by the SMC to min..max)", () => {
    const { device, physics, hostRoot } = makeHost(exactProfile("macpro-2019"));
    const smc = chipDir(hostRoot, "applesmc");
    physics.setDieC(90); // curve [88, 45]; the firmware acts on what it measured before the step
    device.step(0.5);
    device.step(0.5);
    expect(physics.lastInputs().fanCmdPct).toEqual([45, 45, 45, 45]);
    expect(read(smc, "fan1_output")).toBe("900\n");
    expect(read(smc, "fan4_output")).toBe("1125\n");
    writeFileSync(join(smc, "fan1_output"), "1500");
    device.step(0.5);
    expect(physics.lastInputs().fanCmdPct[0]).toBe(45); // auto: output ignored
    writeFileSync(join(smc, "fan1_manual"), "1");
    writeFileSync(join(smc, "fan1_output"), "1500");
    writeFileSync(join(smc, "fan4_manual"), "1");
    writeFileSync(join(smc, "fan4_output"), "100");
    device.step(0.5);
    expect(physics.lastInputs().fanCmdPct[0]).toBe(75);
    expect(physics.lastInputs().fanCmdPct[3]).toBe(25); // 100 RPM clamped to the blower's 625 RPM minimum
    expect(device.fanControl()[0]?.mode).toBe("manual");
    writeFileSync(join(smc, "fan1_output"), "20000");
    device.step(0.5);
    expect(device.rejectedWrites).toBe(1);
    expect(read(smc, "fan1_output")).toBe("1500\n");
    writeFileSync(join(smc, "fan1_manual"), "0");
    device.step(0.5);
    expect(physics.lastInputs().fanCmdPct[0]).toBe(45);
    expect(read(smc, "fan1_output")).toBe("900\n");
  });

  it("stops a dead fan: its RPM reads 0 whatever it is commanded", () => {
    const { device, physics, hostRoot } = makeHost(exactProfile("poweredge-r740-air"));
    const sio = chipDir(hostRoot, "nct6798");
    device.setFanDead(4, true);
    expect(physics.dead.has(4)).toBe(true);
    writeFileSync(join(sio, "pwm5_enable"), "1");
    writeFileSync(join(sio, "pwm5"), "255");
    device.step(0.5);
    expect(read(sio, "fan5_input")).toBe("0\n");
    device.setFanDead(4, false);
    device.step(0.5);
    expect(readInt(sio, "fan5_input")).toBeGreaterThan(15000);
    expect(() => device.setFanDead(6, true)).toThrow(/fans 0\.\.5/);
  });
});

describe("sensor effects", () => {
  it("quantises temperatures to the profile's resolution", () => {
    const air = makeHost(loadProfile("poweredge-r740-air"), 3, "air");
    const mac = makeHost(loadProfile("macpro-2019"), 3, "mac");
    for (let i = 0; i < 20; i++) {
      air.physics.setDieC(70 + i * 0.37);
      mac.physics.setDieC(70 + i * 0.37);
      air.device.step(0.5);
      mac.device.step(0.5);
      for (const dir of hwmonByName(air.hostRoot).get("coretemp") ?? []) expect(readInt(dir, "temp1_input") % 1000).toBe(0);
      expect(readInt(chipDir(mac.hostRoot, "coretemp"), "temp1_input") % 100).toBe(0);
    }
  });

  it("adds seeded noise: the same seed reproduces every report, another seed does not", () => {
    const run = (seed: number, dir: string): string[] => {
      const { device, hostRoot } = makeHost({ ...loadProfile("poweredge-r740-air"), sensors: { noiseC: 0.8, lagS: 0, quantC: 1 } }, seed, dir);
      const sio = chipDir(hostRoot, "nct6798");
      const out: string[] = [];
      for (let i = 0; i < 40; i++) {
        device.step(0.5);
        out.push(read(sio, "temp1_input"));
      }
      return out;
    };
    const a = run(11, "a");
    expect(run(11, "b")).toEqual(a);
    expect(run(12, "c")).not.toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(1); // noise of 0.8 °C moves a 1 °C-quantised reading
    expect(a.every((v) => Math.abs(Number.parseInt(v, 10) - 24000) <= 4000)).toBe(true);
  });

  it("lags a step change with the profile's time constant", () => {
    const { device, physics, hostRoot } = makeHost({ ...loadProfile("poweredge-r740-air"), sensors: { noiseC: 0, lagS: 10, quantC: 1 } });
    const coretemp = (hwmonByName(hostRoot).get("coretemp") ?? []).find((d) => read(d, "temp1_label") === "Package id 0\n") as string;
    physics.setDieC(80);
    device.step(10);
    // 60 → 80 through a 10 s lag after 10 s: 60 + 20·(1 − e^−1) = 72.6 → 73.
    expect(read(coretemp, "temp1_input")).toBe("73000\n");
    for (let i = 0; i < 10; i++) device.step(10);
    expect(read(coretemp, "temp1_input")).toBe("80000\n");
  });
});

describe("sensor faults", () => {
  it("stuck: the file keeps its last reported value while the truth moves", () => {
    const { device, physics, hostRoot } = makeHost(exactProfile("poweredge-r740-air"));
    const c0 = (hwmonByName(hostRoot).get("coretemp") ?? []).find((d) => read(d, "temp1_label") === "Package id 0\n") as string;
    physics.setDieC(70);
    device.step(0.5);
    expect(device.injectSensorFault("coretemp.0:Package id 0", { kind: "stuck" })).toEqual(["coretemp.0:temp1"]);
    physics.setDieC(90);
    device.step(0.5);
    device.step(0.5);
    expect(read(c0, "temp1_input")).toBe("70000\n");
    expect(read(c0, "temp2_input")).toBe("58000\n"); // only the selected sensor
    device.clearSensorFault("coretemp.0:temp1");
    device.step(0.5);
    expect(read(c0, "temp1_input")).toBe("90000\n");
  });

  it("dropout: the file disappears (ENOENT) until the fault is cleared", () => {
    const { device, hostRoot } = makeHost(exactProfile("poweredge-r740-air"));
    const sio = chipDir(hostRoot, "nct6798");
    device.injectSensorFault("nct6798:SYSTIN", { kind: "dropout" });
    device.step(0.5);
    expect(() => readFileSync(join(sio, "temp1_input"))).toThrow(expect.objectContaining({ code: "ENOENT" }) as Error);
    expect(read(sio, "temp1_label")).toBe("SYSTIN\n");
    device.step(0.5);
    expect(existsSync(join(sio, "temp1_input"))).toBe(false);
    device.clearSensorFault("nct6798:temp1");
    device.step(0.5);
    expect(read(sio, "temp1_input")).toBe("24000\n");
  });

  it("spike: the next N reports are offset, then the sensor is clean again", () => {
    const { device, hostRoot } = makeHost(exactProfile("poweredge-r740-air"));
    const sio = chipDir(hostRoot, "nct6798");
    device.injectSensorFault("nct6798:temp2", { kind: "spike", offset: 40, reports: 2 });
    const seen: string[] = [];
    for (let i = 0; i < 4; i++) {
      device.step(0.5);
      seen.push(read(sio, "temp2_input"));
    }
    expect(seen).toEqual(["75000\n", "75000\n", "35000\n", "35000\n"]);
  });

  it("sentinel: reports −40 °C, 129 °C or 65535 RPM", () => {
    const air = makeHost(exactProfile("poweredge-r740-air"), 1, "air");
    const sio = chipDir(air.hostRoot, "nct6798");
    air.device.injectSensorFault("drivetemp.*:temp1", { kind: "sentinel" });
    air.device.injectSensorFault("nct6798:fan2", { kind: "sentinel" });
    air.device.step(0.5);
    for (const dir of hwmonByName(air.hostRoot).get("drivetemp") ?? []) expect(read(dir, "temp1_input")).toBe("-40000\n");
    expect(read(sio, "fan2_input")).toBe("65535\n");
    expect(read(sio, "fan1_input")).not.toBe("65535\n");

    const mac = makeHost(exactProfile("macpro-2019"), 1, "mac");
    mac.device.injectSensorFault("applesmc:TC0D", { kind: "sentinel", value: 129 });
    mac.device.step(0.5);
    const smc = chipDir(mac.hostRoot, "applesmc");
    const tc0d = readdirSync(smc).find((f) => f.endsWith("_label") && read(smc, f) === "TC0D\n")?.replace("_label", "_input") as string;
    expect(read(smc, tc0d)).toBe("129000\n");
  });

  it("names an unknown selector in its error", () => {
    const { device } = makeHost(exactProfile("poweredge-r740-air"));
    expect(() => device.injectSensorFault("nct6798:temp9", { kind: "stuck" })).toThrow(/no sensor .* matches "nct6798:temp9"/);
    expect(device.sensorIds()).toEqual(expect.arrayContaining(["coretemp.1:temp5", "nct6798:fan6", "drivetemp.sdd:temp1", "power_meter:power1"]));
  });
});

describe("StepwiseFanCurve", () => {
  it("uses the first step as the floor below it", () => {
    const curve = new StepwiseFanCurve([[50, 30], [70, 60]]);
    expect(curve.update(20)).toBe(30);
    expect(curve.update(71)).toBe(60);
    expect(curve.update(68)).toBe(60);
    expect(curve.update(66.9)).toBe(30);
  });
});
