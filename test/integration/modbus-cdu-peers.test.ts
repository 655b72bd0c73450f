import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SimulatedCdu } from "../../firmware-sim/cdu/index.js";
import { loadProfile, SimHost } from "../../firmware-sim/index.js";
import { ManualClock } from "../../src/core/clock.js";
import { loadRegisterMap } from "../../src/hardware/modbus/index.js";
import { startPtyPair, type PtyPair } from "../helpers/pty-pair.js";

/**
 * The simulated CDU against Modbus masters we did not write: mbpoll (libmodbus) and pymodbus, both from Debian
 * (packages mbpoll, python3-pymodbus). What they read must agree with the physics; what they write must move it.
 */

const run = promisify(execFile);
// Debian's interpreter, where python3-pymodbus lives (a pyenv python on PATH would not have it).
const DEBIAN_PYTHON = "/usr/bin/python3";

/** Addresses in the map are 0-based protocol addresses; mbpoll's -r counts from 1. */
const mbpollRef = (address: number) => String(address + 1);

async function mbpollRead(port: string, address: number, count = 1): Promise<number[]> {
  const { stdout } = await run("mbpoll", ["-m", "rtu", "-a", "13", "-b", "19200", "-P", "none", "-t", "4", "-r", mbpollRef(address), "-c", String(count), "-1", "-o", "1", port]);
  const values = [...stdout.matchAll(/^\[(\d+)\]:\s+(-?\d+)/gm)].map((m) => ({ ref: Number(m[1]), value: Number(m[2]) }));
  expect(values.map((v) => v.ref)).toEqual(Array.from({ length: count }, (_, i) => address + 1 + i));
  return values.map((v) => v.value);
}

async function mbpollWrite(port: string, address: number, value: number): Promise<void> {
  const { stdout } = await run("mbpoll", ["-m", "rtu", "-a", "13", "-b", "19200", "-P", "none", "-t", "4", "-r", mbpollRef(address), "-o", "1", port, String(value)]);
  expect(stdout).toMatch(/Written 1 references/);
}

async function pymodbus(port: string, script: string): Promise<unknown> {
  const program = [
    "import json, sys",
    "from pymodbus.client import ModbusSerialClient",
    `c = ModbusSerialClient(port=${JSON.stringify(port)}, baudrate=19200, parity="N", stopbits=1, bytesize=8, timeout=1)`,
    "assert c.connect(), 'cannot open port'",
    "def regs(r):",
    "    assert not r.isError(), str(r)",
    "    return r.registers",
    script,
    "c.close()",
  ].join("\n");
  const { stdout } = await run(DEBIAN_PYTHON, ["-c", program]);
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "null") as unknown;
}

describe("simulated CDU on a pty, driven by real Modbus masters", () => {
  let pty: PtyPair;
  let cdu: SimulatedCdu;
  let clock: ManualClock;

  beforeEach(async () => {
    pty = await startPtyPair();
    clock = new ManualClock();
    const physics = new SimHost({ hostId: "r750-1", profile: loadProfile("poweredge-r750-liquid"), seed: 1, spread: false, initial: { cpuUtil: 0.8 } });
    cdu = new SimulatedCdu({ map: loadRegisterMap("orv3-rpu"), physics, clock, inputs: () => ({ cpuUtil: 0.8, diskMBps: 0, inletC: 25, fanCmdPct: [40] }) });
    for (let i = 0; i < 20; i++) cdu.step(0.5);
    await cdu.attach(pty.b);
  });

  afterEach(async () => {
    await cdu.dispose();
    await pty.dispose();
  });

  it("mbpoll reads flow, temperatures and pump speed that agree with the physics", async () => {
    const liquid = cdu.liquid();
    const [flowRaw] = await mbpollRead(pty.a, 37527);
    const [supplyRaw, returnRaw] = await mbpollRead(pty.a, 37520, 2);
    const [pwm, rpm] = await mbpollRead(pty.a, 36864, 2);
    expect((flowRaw ?? 0) * 0.01).toBeCloseTo(liquid.flowLpm, 1);
    expect((supplyRaw ?? 0) * 0.1).toBeCloseTo(liquid.coolantSupplyC, 0);
    expect((returnRaw ?? 0) * 0.1).toBeCloseTo(liquid.coolantReturnC, 0);
    expect(returnRaw).toBeGreaterThan(supplyRaw ?? Infinity);
    expect(pwm).toBe(Math.round(liquid.pumpSpeedPct));
    expect(rpm).toBe(Math.round(liquid.pumpRpm));
    // Control word reads the CDU's automatic mode at power-on.
    expect(await mbpollRead(pty.a, 37904)).toEqual([1]);
  });

  it("mbpoll writing manual mode and a pump duty changes the loop", async () => {
    const before = cdu.liquid();
    await mbpollWrite(pty.a, 37904, 0); // manual
    await mbpollWrite(pty.a, 37911, 100);
    expect(cdu.mode()).toBe("manual");
    expect(await mbpollRead(pty.a, 37911)).toEqual([100]);
    for (let i = 0; i < 40; i++) cdu.step(0.5);
    const after = cdu.liquid();
    expect(after.pumpSpeedPct).toBeGreaterThan(95);
    expect(after.flowLpm).toBeGreaterThan(before.flowLpm + 0.5);
    const [flowRaw] = await mbpollRead(pty.a, 37527);
    expect((flowRaw ?? 0) * 0.01).toBeCloseTo(after.flowLpm, 1);
  });

  it("answers a read of an unmapped register with exception 02, which mbpoll reports", async () => {
    await expect(run("mbpoll", ["-m", "rtu", "-a", "13", "-b", "19200", "-P", "none", "-t", "4", "-r", mbpollRef(37522), "-c", "1", "-1", "-o", "1", pty.a])).rejects.toMatchObject({
      stderr: expect.stringMatching(/Illegal data address/i) as unknown,
    });
  });

  it("pymodbus reads the pump block and writes the duty with function 06", async () => {
    const result = (await pymodbus(
      pty.a,
      [
        "pumps = regs(c.read_holding_registers(36864, 10, slave=13))",
        "w = c.write_register(37904, 0, slave=13)",
        "assert not w.isError(), str(w)",
        "w = c.write_register(37911, 30, slave=13)",
        "assert not w.isError(), str(w)",
        "duty = regs(c.read_holding_registers(37911, 1, slave=13))",
        "print(json.dumps({'pumps': pumps, 'duty': duty}))",
      ].join("\n"),
    )) as { pumps: number[]; duty: number[] };
    const liquid = cdu.liquid();
    const [pwm1, rpm1, v1, i1, w1, pwm2, rpm2, , , w2] = result.pumps;
    expect([pwm1, pwm2]).toEqual([Math.round(liquid.pumpSpeedPct), Math.round(liquid.pumpSpeedPct)]);
    expect([rpm1, rpm2]).toEqual([Math.round(liquid.pumpRpm), Math.round(liquid.pumpRpm)]);
    expect((v1 ?? 0) * 0.1).toBeCloseTo(24, 5);
    expect(((w1 ?? 0) + (w2 ?? 0)) * 0.1).toBeCloseTo(liquid.pumpPowerW, 0);
    expect((i1 ?? 0) * 0.01).toBeCloseTo(liquid.pumpPowerW / 2 / 24, 1);
    expect(result.duty).toEqual([30]);
    expect(cdu.mode()).toBe("manual");
    for (let i = 0; i < 40; i++) cdu.step(0.5);
    expect(cdu.liquid().pumpSpeedPct).toBeLessThan(35);
  });

  it("pymodbus sees a leak flag the CDU raises, and exception 03 for an out-of-range duty", async () => {
    cdu.setLeak("tray_leak", true);
    const result = (await pymodbus(
      pty.a,
      [
        "leak = regs(c.read_holding_registers(37519, 1, slave=13))",
        "bad = c.write_register(37911, 150, slave=13)",
        "print(json.dumps({'leak': leak, 'badIsError': bad.isError(), 'code': getattr(bad, 'exception_code', None)}))",
      ].join("\n"),
    )) as { leak: number[]; badIsError: boolean; code: number | null };
    expect(result.leak).toEqual([0b10]);
    expect(result.badIsError).toBe(true);
    expect(result.code).toBe(3);
  });
});
