import { execFile } from "node:child_process";
import { afterEach, describe, expect, it } from "vitest";
import { SimulatedBmc, type SimulatedBmcOptions } from "../../firmware-sim/bmc/index.js";
import { SimHost, loadProfile } from "../../firmware-sim/index.js";
import { ManualClock } from "../../src/core/clock.js";
import { parseSdrTypeOutput } from "../../src/hardware/ipmi/index.js";

/**
 * The real ipmitool binary (Debian package "ipmitool", 1.8.19) against the simulated iDRAC on loopback UDP.
 * Nothing here mocks ipmitool: if the RMCP+ maths, the SDR layout or a completion code is wrong, ipmitool says so.
 */

const IPMITOOL = process.env.IPMITOOL ?? "ipmitool";
const WARM_LOAD = { cpuUtil: 0.6, diskMBps: 20, inletC: 24 };

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const bmcs: SimulatedBmc[] = [];
afterEach(async () => {
  for (const bmc of bmcs.splice(0)) await bmc.stop();
});

async function startBmc(opts: Partial<SimulatedBmcOptions> = {}): Promise<{ bmc: SimulatedBmc; clock: ManualClock; port: number }> {
  const clock = new ManualClock();
  const host = new SimHost({ hostId: "r740-it", profile: loadProfile("poweredge-r740-air"), seed: 11 });
  const bmc = new SimulatedBmc({ host, clock, ...opts });
  bmcs.push(bmc);
  for (let i = 0; i < 120; i++) bmc.step(1, WARM_LOAD);
  const { port } = await bmc.start();
  return { bmc, clock, port };
}

function ipmitool(port: number, args: string[], opts: { iface?: "lanplus" | "lan"; cipher?: number; password?: string } = {}): Promise<Run> {
  const argv = ["-I", opts.iface ?? "lanplus", "-H", "127.0.0.1", "-p", String(port), "-U", "root", "-E", "-N", "1", "-R", "2"];
  if (opts.cipher !== undefined) argv.push("-C", String(opts.cipher));
  argv.push(...args);
  return new Promise((resolve, reject) => {
    execFile(IPMITOOL, argv, { env: { PATH: process.env.PATH, LC_ALL: "C", IPMI_PASSWORD: opts.password ?? "calvin" }, timeout: 20_000 }, (err, stdout, stderr) => {
      if (err && typeof err.code === "string") {
        reject(new Error(`cannot run ${IPMITOOL} (${err.code}); install the Debian package "ipmitool"`));
        return;
      }
      resolve({ code: err ? (typeof err.code === "number" ? err.code : -1) : 0, stdout, stderr });
    });
  });
}

function sdrValues(stdout: string): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const line of parseSdrTypeOutput(stdout).lines) out[`${line.name}@${line.entity}`] = line.value;
  return out;
}

function simValues(bmc: SimulatedBmc, kind: "temperature" | "fan"): Record<string, number | null> {
  return Object.fromEntries(bmc.sensorViews().filter((v) => v.kind === kind).map((v) => [`${v.name}@${v.entity}`, v.value]));
}

describe("real ipmitool against the simulated BMC", () => {
  it("mc info over lanplus (best suite: 17), -C 3, -C 17 and IPMI v1.5 -I lan", async () => {
    const { bmc, port } = await startBmc();
    for (const opts of [{}, { cipher: 3 }, { cipher: 17 }, { iface: "lan" as const }]) {
      const run = await ipmitool(port, ["mc", "info"], opts);
      expect(run.stderr, JSON.stringify(opts)).toBe("");
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/Manufacturer Name\s+: Dell Inc\./);
      expect(run.stdout).toMatch(/Firmware Revision\s+: 3\.30/);
      expect(run.stdout).toMatch(/IPMI Version\s+: 2\.0/);
    }
    const verbose = await ipmitool(port, ["-v", "mc", "info"]);
    expect(verbose.stderr).toContain("Using best available cipher suite 17");
    expect(bmc.sessionCount()).toBe(0); // ipmitool closed every session it opened
  });

  it("every implemented cipher suite works when the BMC offers it; an unoffered one is refused", async () => {
    const { port } = await startBmc({ cipherSuites: [1, 2, 3, 15, 16, 17] });
    for (const cipher of [1, 2, 3, 15, 16, 17]) {
      const run = await ipmitool(port, ["sdr", "type", "fan"], { cipher });
      expect(run.code, `-C ${cipher}: ${run.stderr}`).toBe(0);
      expect(parseSdrTypeOutput(run.stdout).lines).toHaveLength(6);
    }
    const only3 = await startBmc({ cipherSuites: [3] });
    expect((await ipmitool(only3.port, ["mc", "info"])).code).toBe(0); // ipmitool falls back to 3
    const refused = await ipmitool(only3.port, ["mc", "info"], { cipher: 17 });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain("no matching cipher suite");
  });

  it("sdr type temperature and fan show the simulator's values, within the sensors' quantisation", async () => {
    const { bmc, port } = await startBmc();
    const temps = await ipmitool(port, ["sdr", "type", "temperature"]);
    expect(temps.code).toBe(0);
    expect(temps.stdout).toMatch(/^Exhaust Temp {5}\| 01h \| ok {2}\| {2}7\.1 \| \d+ degrees C$/m);
    expect(temps.stdout).toMatch(/^Temp {13}\| 0Fh \| ok {2}\| {2}3\.2 \| \d+ degrees C$/m);
    expect(sdrValues(temps.stdout)).toEqual(simValues(bmc, "temperature"));
    const snap = bmc.snapshot();
    const shown = sdrValues(temps.stdout);
    expect(Math.abs((shown["Inlet Temp@7.1"] ?? NaN) - snap.inletC)).toBeLessThanOrEqual(0.5);
    expect(Math.abs((shown["Exhaust Temp@7.1"] ?? NaN) - snap.exhaustC)).toBeLessThanOrEqual(0.5);
    expect(Math.abs((shown["Temp@3.1"] ?? NaN) - (snap.sockets[0]?.dieC ?? NaN))).toBeLessThanOrEqual(0.5);

    const fans = await ipmitool(port, ["sdr", "type", "fan"]);
    expect(sdrValues(fans.stdout)).toEqual(simValues(bmc, "fan"));
    snap.fans.forEach((fan, i) => expect(Math.abs((sdrValues(fans.stdout)[`Fan${i + 1} RPM@7.1`] ?? NaN) - fan.rpm)).toBeLessThanOrEqual(60));
  });

  it("sensor (list) prints readings with the Dell thresholds; partial SDR reads work too", async () => {
    const { port } = await startBmc({ maxSdrReadBytes: 16 });
    const run = await ipmitool(port, ["sensor"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Inlet Temp +\| \d+\.000 +\| degrees C +\| ok +\| na +\| -7\.000 +\| 3\.000 +\| 42\.000 +\| 47\.000 +\| na/m);
    expect(run.stdout).toMatch(/^Fan6 RPM +\| \d+\.000 +\| RPM +\| ok +\| na +\| 600\.000 +\| 840\.000/m);
    expect(run.stdout.trim().split("\n")).toHaveLength(10);
  });

  it("raw 0x30 0x30 0x01 0x00 then 0x02 0xff 0x50 puts every fan at 80 %; 0x01 0x01 gives it back", async () => {
    const { bmc, clock, port } = await startBmc();
    expect(bmc.mode()).toBe("auto");
    const firmwarePct = bmc.fanCommandPct()[0] ?? NaN;
    expect(firmwarePct).toBeLessThan(80);
    expect((await ipmitool(port, ["raw", "0x30", "0x30", "0x01", "0x00"])).code).toBe(0);
    const all = await ipmitool(port, ["raw", "0x30", "0x30", "0x02", "0xff", "0x50"]);
    expect(all.code).toBe(0);
    expect(bmc.mode()).toBe("manual");
    expect(bmc.fanCommandPct()).toEqual([80, 80, 80, 80, 80, 80]);
    for (let i = 0; i < 10; i++) {
      clock.advance(1_000);
      bmc.step(1, WARM_LOAD);
    }
    const fans = sdrValues((await ipmitool(port, ["sdr", "type", "fan"])).stdout);
    expect(bmc.snapshot().fans.every((f) => Math.abs(f.speedPct - 80) < 1)).toBe(true);
    expect(fans["Fan1 RPM@7.1"]).toBe(bmc.sensorViews().find((v) => v.name === "Fan1 RPM")?.value);
    expect((await ipmitool(port, ["raw", "0x30", "0x30", "0x02", "0x02", "0x28"])).code).toBe(0); // one fan: Fan3 to 40 %
    expect(bmc.fanCommandPct()).toEqual([80, 80, 40, 80, 80, 80]);
    expect((await ipmitool(port, ["raw", "0x30", "0x30", "0x01", "0x01"])).code).toBe(0);
    expect(bmc.mode()).toBe("auto");
    expect(bmc.lastModeChange()).toMatchObject({ reason: "auto-requested" });
  });

  it("the same over IPMI v1.5 (-I lan, MD5)", async () => {
    const { bmc, port } = await startBmc();
    expect((await ipmitool(port, ["raw", "0x30", "0x30", "0x01", "0x00"], { iface: "lan" })).code).toBe(0);
    expect((await ipmitool(port, ["raw", "0x30", "0x30", "0x02", "0xff", "0x3c"], { iface: "lan" })).code).toBe(0);
    expect(bmc.fanCommandPct()).toEqual([60, 60, 60, 60, 60, 60]);
    const temps = await ipmitool(port, ["sdr", "type", "temperature"], { iface: "lan" });
    expect(sdrValues(temps.stdout)).toEqual(simValues(bmc, "temperature"));
  });

  it("a lapsed lease hands the fans back to the firmware curve", async () => {
    const { bmc, clock, port } = await startBmc({ leaseS: 30 });
    await ipmitool(port, ["raw", "0x30", "0x30", "0x01", "0x00"]);
    await ipmitool(port, ["raw", "0x30", "0x30", "0x02", "0xff", "0x64"]);
    clock.advance(29_000);
    expect(bmc.mode()).toBe("manual");
    clock.advance(1_000);
    expect(bmc.mode()).toBe("auto");
    expect(bmc.lastModeChange()).toMatchObject({ reason: "lease-lapsed" });
    bmc.step(1, WARM_LOAD);
    expect(bmc.appliedFanPct()[0]).toBeLessThan(100);
  });

  it("bad data answers 0xCC, unknown commands 0xC1 — as ipmitool prints them", async () => {
    const { port } = await startBmc();
    const bad = await ipmitool(port, ["raw", "0x30", "0x30", "0x02", "0xff", "0x70"]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Unable to send RAW command (channel=0x0 netfn=0x30 lun=0x0 cmd=0x30 rsp=0xcc): Invalid data field in request");
    const unknown = await ipmitool(port, ["raw", "0x30", "0xce", "0x01", "0x16", "0x05", "0x00", "0x00", "0x00"]);
    expect(unknown.stderr).toContain("rsp=0xc1");
  });

  it("the refusing personality (iDRAC9 ≥ 3.34) answers 0xD4 and stays automatic", async () => {
    const { bmc, port } = await startBmc({ personality: "refuses-manual" });
    const run = await ipmitool(port, ["raw", "0x30", "0x30", "0x01", "0x00"]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("rsp=0xd4): Insufficient privilege level");
    expect(bmc.mode()).toBe("auto");
    expect((await ipmitool(port, ["mc", "info"])).stdout).toMatch(/Firmware Revision\s+: 4\.40/);
  });

  it("faults: an empty socket reads ns/Disabled, a disconnected inlet probe −40 (lcr)", async () => {
    const { bmc, port } = await startBmc();
    bmc.setSocketEmpty(1, true);
    bmc.setSensorFault("Inlet Temp", "disconnected");
    bmc.setSensorFault("Exhaust Temp", "unavailable");
    const run = await ipmitool(port, ["sdr", "type", "temperature"]);
    expect(run.stdout).toContain("Temp             | 0Fh | ns  |  3.2 | Disabled");
    expect(run.stdout).toContain("Inlet Temp       | 04h | lcr |  7.1 | -40 degrees C");
    expect(run.stdout).toContain("Exhaust Temp     | 01h | ns  |  7.1 | No Reading");
  });

  it("a wrong password gets no session, quickly, and leaves none behind", async () => {
    const { bmc, port } = await startBmc();
    const started = performance.now();
    const run = await ipmitool(port, ["mc", "info"], { password: "wrong" });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain("Unable to establish IPMI v2 / RMCP+ session");
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(bmc.sessionCount()).toBe(0);
  });

  it("11G naming: FAN n RPM and Ambient Temp, as iDRAC6 boards print them", async () => {
    const { port } = await startBmc({ sensorNaming: "11g" });
    const fans = await ipmitool(port, ["sdr", "type", "fan"]);
    expect(fans.stdout).toMatch(/^FAN 1 RPM {8}\| 30h \| ok {2}\| {2}7\.1 \| \d+ RPM$/m);
    const temps = await ipmitool(port, ["sdr", "type", "temperature"]);
    expect(temps.stdout).toMatch(/^Ambient Temp {5}\| 0Eh/m);
    expect(temps.stdout).not.toContain("Exhaust");
  });
});
