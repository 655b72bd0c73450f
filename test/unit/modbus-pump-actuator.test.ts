import { describe, expect, it } from "vitest";
import { SimulatedCdu, type RegisterTable } from "../../firmware-sim/cdu/index.js";
import { loadProfile, SimHost } from "../../firmware-sim/index.js";
import { ManualClock } from "../../src/core/clock.js";
import { ErrorCode, isCoolfleetError } from "../../src/core/errors.js";
import { loadRegisterMap, ModbusDevice, ModbusPumpActuator, ModbusRequestError, parseRegisterMap, type ModbusTransport } from "../../src/hardware/modbus/index.js";

/** A transport straight onto a register table (no serial line): the simulated CDU's own register logic. */
class TableTransport implements ModbusTransport {
  isOpen = false;

  constructor(
    private readonly table: RegisterTable,
    private readonly log: string[],
  ) {}

  open(): Promise<void> {
    this.isOpen = true;
    return Promise.resolve();
  }
  close(): Promise<void> {
    this.isOpen = false;
    return Promise.resolve();
  }
  onLost(): void {}

  readHolding(address: number, count: number): Promise<number[]> {
    return this.read("holding", address, count);
  }
  readInput(address: number, count: number): Promise<number[]> {
    return this.read("input", address, count);
  }
  writeSingle(address: number, word: number): Promise<void> {
    return this.write(`06 ${address}=${word}`, address, [word]);
  }
  writeMultiple(address: number, words: readonly number[]): Promise<void> {
    return this.write(`16 ${address}=${words.join(",")}`, address, words);
  }

  private read(table: "holding" | "input", address: number, count: number): Promise<number[]> {
    const words = Array.from({ length: count }, (_, i) => this.table.read(table, address + i));
    if (words.some((w) => w === undefined)) return Promise.reject(new ModbusRequestError("exception", "illegal data address", 2));
    return Promise.resolve(words as number[]);
  }

  private write(what: string, address: number, words: readonly number[]): Promise<void> {
    for (const [i, word] of words.entries()) {
      const refused = this.table.checkWrite(address + i, word);
      if (refused !== undefined) return Promise.reject(new ModbusRequestError("exception", `exception ${refused}`, refused));
    }
    words.forEach((word, i) => this.table.write(address + i, word));
    this.log.push(what);
    return Promise.resolve();
  }
}

/** Lets the promise chains a fired timer started (renewal, poll) run to completion; no time passes. */
const settle = () => new Promise<void>((resolve) => setImmediate(resolve));

async function rig(mapName: "orv3-rpu" | "simple-pump-drive", opts: { leaseS?: number; cduClock?: ManualClock } = {}) {
  const clock = new ManualClock();
  const map = loadRegisterMap(mapName);
  const physics = new SimHost({ hostId: "h", profile: loadProfile("poweredge-r750-liquid"), seed: 1, spread: false });
  const cdu = new SimulatedCdu({ map, physics, clock: opts.cduClock ?? clock, leaseS: opts.leaseS ?? 30 });
  const writes: string[] = [];
  const device = new ModbusDevice({ name: "cdu", map, transportFactory: () => new TableTransport(cdu, writes), clock });
  await device.start();
  const pump = new ModbusPumpActuator(device, { clock, renewMs: 10_000 });
  return { clock, cdu, device, pump, writes };
}

describe("ModbusPumpActuator on the ORv3 map", () => {
  it("takes control bumplessly (duty first, then manual), clamps, and restores the mode it found", async () => {
    const { cdu, pump, writes, device } = await rig("orv3-rpu");
    expect(pump.channels).toBe(1);
    const runningPct = Math.round(cdu.liquid().pumpSpeedPct);
    await pump.takeControl();
    expect(writes).toEqual([`06 37911=${runningPct}`, "06 37904=0"]);
    expect(cdu.mode()).toBe("manual");

    await pump.setPct(150);
    await pump.setPct(-5);
    await pump.setPct(42.4);
    expect(writes.slice(2)).toEqual(["06 37911=100", "06 37911=0", "06 37911=42"]);
    expect(cdu.firmware.dutySetpointPct).toBe(42);

    await pump.restore();
    await pump.restore();
    expect(writes.slice(5)).toEqual(["06 37904=1"]);
    expect(cdu.mode()).toBe("auto1");
    await device.stop();
  });

  it("hands back the automatic mode it found, even a non-default one", async () => {
    const { cdu, pump } = await rig("orv3-rpu");
    cdu.write(37904, 2); // auto2: hold flow
    await pump.takeControl();
    await pump.restore();
    expect(cdu.mode()).toBe("auto2");
  });

  it("restores the map's auto mode when it found manual (a previous agent died holding it)", async () => {
    const { cdu, pump } = await rig("orv3-rpu");
    cdu.write(37904, 0);
    await pump.takeControl();
    await pump.restore();
    expect(cdu.mode()).toBe("auto1");
  });

  it("rewrites the duty through a quiet stretch so the device's lease holds, and stops after restore", async () => {
    const { clock, cdu, pump, writes } = await rig("orv3-rpu", { leaseS: 30 });
    await pump.takeControl();
    await pump.setPct(70);
    writes.length = 0;
    clock.advance(9_000);
    await pump.setPct(70); // the agent's own write renews: no extra renewal due at 10 s
    clock.advance(1_000);
    await settle();
    expect(writes).toEqual(["06 37911=70"]);
    for (let s = 0; s < 120; s += 1) {
      clock.advance(1_000);
      await settle();
    }
    expect(cdu.mode()).toBe("manual");
    expect(cdu.firmware.leaseLapses).toBe(0);
    expect(writes.length).toBeGreaterThanOrEqual(10);
    await pump.restore();
    const after = writes.length;
    clock.advance(60_000);
    expect(writes.length).toBe(after);
  });

  it("takes manual mode back when the poll shows the device dropped out of it", async () => {
    const cduClock = new ManualClock();
    const { clock, cdu, pump, device, writes } = await rig("orv3-rpu", { leaseS: 30, cduClock });
    await pump.takeControl();
    await pump.setPct(80);
    cduClock.advance(31_000);
    expect(cdu.mode()).toBe("auto1");
    await pump.setPct(80); // the cache does not know yet: only the duty
    expect(writes.at(-1)).toBe("06 37911=80");
    clock.advance(1);
    await device.pollNow();
    writes.length = 0;
    await pump.setPct(80);
    expect(writes).toEqual(["06 37904=0", "06 37911=80"]);
    expect(cdu.mode()).toBe("manual");
  });

  it("refuses a map without a control block", () => {
    const map = parseRegisterMap("t", {
      name: "monitor-only",
      serial: { unitId: 1, baudRate: 9600, parity: "none" },
      registers: [{ name: "flow", address: 1, function: "input", unit: "Lpm", kind: "flow" }],
    });
    const device = new ModbusDevice({ name: "cdu", map, transportFactory: () => new TableTransport({ read: () => 0, checkWrite: () => undefined, write: () => undefined }, []), clock: new ManualClock() });
    let caught: unknown;
    try {
      new ModbusPumpActuator(device, { clock: new ManualClock() });
    } catch (err) {
      caught = err;
    }
    expect(isCoolfleetError(caught, ErrorCode.ConfigInvalid)).toBe(true);
    expect((caught as Error).message).toMatch(/register map monitor-only has no "control" block/);
  });
});

describe("ModbusPumpActuator on the simple pump drive", () => {
  it("writes the tenths-of-a-percent set-point with function 16 and switches run_mode", async () => {
    const { cdu, pump, writes } = await rig("simple-pump-drive");
    await pump.takeControl();
    expect(writes.at(-1)).toBe("06 0=1");
    await pump.setPct(45.5);
    expect(writes.at(-1)).toBe("16 1=455");
    expect(cdu.firmware.dutySetpointPct).toBe(45.5);
    cdu.step(10);
    expect(cdu.liquid().pumpSpeedPct).toBeGreaterThan(40);
    await pump.restore();
    expect(writes.at(-1)).toBe("06 0=0");
    expect(cdu.mode()).toBe("auto");
  });
});
