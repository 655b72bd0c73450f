import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import {
  isModbusRequestError,
  loadRegisterMap,
  ModbusDevice,
  ModbusLink,
  ModbusRequestError,
  ModbusSensorSource,
  type LinkState,
  type ModbusFailure,
  type ModbusTransport,
} from "../../src/hardware/modbus/index.js";

/** The far end of a scripted cable: register words, failures to inject, and a log of what went over it. */
class ScriptedWire {
  words = new Map<number, number>();
  /** Failures for the next requests, in order. */
  failures: ModbusFailure[] = [];
  /** The next opens fail while this is set (the device path is absent). */
  absent = false;
  log: string[] = [];
  transports: ScriptedTransport[] = [];
  /** While set, requests wait on it (to observe serialisation). */
  gate: Promise<void> | undefined;

  factory = (): ModbusTransport => {
    const t = new ScriptedTransport(this);
    this.transports.push(t);
    return t;
  };
}

class ScriptedTransport implements ModbusTransport {
  isOpen = false;
  lostListener: ((reason: string) => void) | undefined;

  constructor(private readonly wire: ScriptedWire) {}

  open(): Promise<void> {
    if (this.wire.absent) return Promise.reject(new ModbusRequestError("disconnected", "No such file or directory"));
    this.isOpen = true;
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.isOpen = false;
    return Promise.resolve();
  }

  onLost(listener: (reason: string) => void): void {
    this.lostListener = listener;
  }

  /** The cable is pulled. */
  unplug(): void {
    this.isOpen = false;
    this.lostListener?.("port closed");
  }

  readHolding(address: number, count: number): Promise<number[]> {
    return this.answer(`read ${address}+${count}`, () => Array.from({ length: count }, (_, i) => this.wire.words.get(address + i) ?? 0));
  }

  readInput(address: number, count: number): Promise<number[]> {
    return this.readHolding(address, count);
  }

  writeSingle(address: number, word: number): Promise<void> {
    return this.answer(`06 ${address}=${word}`, () => void this.wire.words.set(address, word));
  }

  writeMultiple(address: number, words: readonly number[]): Promise<void> {
    return this.answer(`16 ${address}=${words.join(",")}`, () => words.forEach((w, i) => this.wire.words.set(address + i, w)));
  }

  private async answer<T>(what: string, respond: () => T): Promise<T> {
    if (!this.isOpen) throw new ModbusRequestError("disconnected", "Port Not Open");
    this.wire.log.push(`start ${what}`);
    if (this.wire.gate) await this.wire.gate;
    this.wire.log.push(`end ${what}`);
    const failure = this.wire.failures.shift();
    if (failure) throw new ModbusRequestError(failure, `scripted ${failure}`, failure === "exception" ? 2 : undefined);
    return respond();
  }
}

/** Records every timer delay asked of it: the reconnect schedule, here. */
class DelayRecordingClock extends ManualClock {
  delaysMs: number[] = [];

  override setTimeout(callback: () => void, delayMs: number) {
    this.delaysMs.push(delayMs);
    return super.setTimeout(callback, delayMs);
  }
}

function makeLink(wire: ScriptedWire, clock = new ManualClock()) {
  const pauses: number[] = [];
  const link = new ModbusLink({
    label: "test",
    transportFactory: wire.factory,
    clock,
    retry: { retries: 2, backoffMs: 10 },
    reconnectMinMs: 1000,
    reconnectMaxMs: 4000,
    pause: (ms) => {
      pauses.push(ms);
      return Promise.resolve();
    },
  });
  return { link, pauses, clock };
}

function nextState(link: ModbusLink, wanted: LinkState): Promise<void> {
  return new Promise((resolve) => {
    const listener = (state: LinkState) => {
      if (state !== wanted) return;
      link.off("state", listener);
      resolve();
    };
    link.on("state", listener);
  });
}

const read = (link: ModbusLink, address = 1) => link.request(`read ${address}`, (t) => t.readHolding(address, 1));

async function rejection(promise: Promise<unknown>): Promise<ModbusRequestError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ModbusRequestError) return err;
    throw err;
  }
  throw new Error("expected a rejection");
}

describe("ModbusLink retries", () => {
  it("retries CRC errors and timeouts with doubling pauses, counting each", async () => {
    const wire = new ScriptedWire();
    wire.words.set(1, 42);
    const { link, pauses } = makeLink(wire);
    await link.start();
    wire.failures = ["crc", "timeout"];
    expect(await read(link)).toEqual([42]);
    expect(pauses).toEqual([10, 20]);
    expect(link.stats()).toMatchObject({ requests: 3, crcErrors: 1, timeouts: 1, retries: 2, failures: 0 });
  });

  it("gives up after the retries, with the last failure and the request named", async () => {
    const wire = new ScriptedWire();
    const { link, pauses } = makeLink(wire);
    await link.start();
    wire.failures = ["timeout", "crc", "timeout", "timeout"];
    const err = await rejection(read(link, 7));
    expect(err.failure).toBe("timeout");
    expect(err.message).toBe("test: read 7: scripted timeout");
    expect(pauses).toEqual([10, 20]);
    expect(link.stats()).toMatchObject({ requests: 3, timeouts: 2, crcErrors: 1, retries: 2, failures: 1 });
    // The fourth scripted failure was never used: the next request gets it.
    expect(wire.failures).toEqual(["timeout"]);
  });

  it("does not retry a Modbus exception: the device answered", async () => {
    const wire = new ScriptedWire();
    const { link, pauses } = makeLink(wire);
    await link.start();
    wire.failures = ["exception"];
    const err = await rejection(read(link));
    expect([err.failure, err.exceptionCode]).toEqual(["exception", 2]);
    expect(pauses).toEqual([]);
    expect(link.stats()).toMatchObject({ requests: 1, exceptions: 1, retries: 0, failures: 1 });
  });

  it("keeps one request on the wire at a time", async () => {
    const wire = new ScriptedWire();
    const { link } = makeLink(wire);
    await link.start();
    let open!: () => void;
    wire.gate = new Promise((resolve) => (open = resolve));
    const first = read(link, 1);
    const second = read(link, 2);
    await Promise.resolve();
    open();
    await Promise.all([first, second]);
    expect(wire.log).toEqual(["start read 1+1", "end read 1+1", "start read 2+1", "end read 2+1"]);
  });
});

describe("ModbusLink reconnects", () => {
  it("reports a vanished port, fails requests fast, reconnects with doubling backoff and counts it", async () => {
    const wire = new ScriptedWire();
    const { link, clock } = makeLink(wire);
    await link.start();
    expect(link.state()).toBe("connected");

    wire.absent = true;
    const startMs = clock.nowMs();
    wire.transports[0]?.unplug();
    expect(link.state()).toBe("disconnected");
    expect(link.disconnectedSinceMs()).toBe(startMs);
    const fast = await rejection(read(link));
    expect(fast.failure).toBe("disconnected");
    expect(wire.log).toEqual([]);

    const failed = nextState(link, "disconnected");
    clock.advance(1000);
    await failed;
    expect(link.stats()).toMatchObject({ reconnectAttempts: 1, reconnects: 0 });

    clock.advance(1999); // backoff doubled to 2 s
    expect(link.stats().reconnectAttempts).toBe(1);
    wire.absent = false;
    const back = nextState(link, "connected");
    clock.advance(1);
    await back;
    expect(link.stats()).toMatchObject({ reconnectAttempts: 2, reconnects: 1 });
    expect(link.disconnectedSinceMs()).toBeUndefined();
    wire.words.set(1, 5);
    expect(await read(link)).toEqual([5]);

    // A later loss starts again from the minimum delay.
    const lostAgain = nextState(link, "connected");
    wire.transports.at(-1)?.unplug();
    clock.advance(1000);
    await lostAgain;
    expect(link.stats().reconnects).toBe(2);
  });

  it("a request that finds the port gone marks the link disconnected", async () => {
    const wire = new ScriptedWire();
    const { link } = makeLink(wire);
    await link.start();
    wire.failures = ["disconnected"];
    const err = await rejection(read(link));
    expect(isModbusRequestError(err, "disconnected")).toBe(true);
    expect(link.state()).toBe("disconnected");
  });

  it("starts without the device and connects when it appears", async () => {
    const wire = new ScriptedWire();
    wire.absent = true;
    const { link, clock } = makeLink(wire);
    await link.start();
    expect(link.state()).toBe("disconnected");
    wire.absent = false;
    const up = nextState(link, "connected");
    clock.advance(1000);
    await up;
    // The first successful open is not a re-connect.
    expect(link.stats().reconnects).toBe(0);
  });

  it("caps the backoff, and stops trying once stopped", async () => {
    const wire = new ScriptedWire();
    wire.absent = true;
    const clock = new DelayRecordingClock();
    const { link } = makeLink(wire, clock);
    await link.start();
    for (let i = 0; i < 5; i++) {
      const failed = new Promise<void>((resolve) => link.once("reconnectFailed", () => resolve()));
      clock.advance(4000);
      await failed;
    }
    expect(clock.delaysMs).toEqual([1000, 2000, 4000, 4000, 4000, 4000]);
    await link.stop();
    const attempts = link.stats().reconnectAttempts;
    clock.advance(60_000);
    expect(link.stats().reconnectAttempts).toBe(attempts);
    expect(link.state()).toBe("closed");
  });
});

describe("ModbusDevice cache and sensor source", () => {
  it("caches values with sample times; a failed block keeps its old values (stale), a lost link reads null", async () => {
    const wire = new ScriptedWire();
    const clock = new ManualClock();
    const device = new ModbusDevice({ name: "cdu", map: loadRegisterMap("orv3-rpu"), transportFactory: wire.factory, clock, retries: 0, pause: () => Promise.resolve() });
    wire.words.set(37527, 257); // flow 2.57 Lpm
    wire.words.set(37520, 0xfff6); // supply −1.0 °C: signed
    await device.start();
    const source = new ModbusSensorSource(device);
    const t0 = clock.nowMs();
    expect(source.sweep(t0).find((r) => r.id === "cdu:flow")).toEqual({ id: "cdu:flow", kind: "flow", unit: "Lpm", value: 2.57, sampledAtMs: t0 });
    expect(source.sweep(t0).find((r) => r.id === "cdu:coolant_supply_temp")?.value).toBe(-1);

    // Every block of the next poll comes back damaged (no retries configured).
    wire.failures = ["crc", "crc", "crc", "crc", "crc", "crc", "crc"];
    clock.advance(2000); // the poll loop's turn
    wire.words.set(37527, 300);
    // Run the poll the timer started to completion.
    await device.pollNow();
    const stale = source.sweep(clock.nowMs()).find((r) => r.id === "cdu:flow");
    expect(stale).toMatchObject({ value: 2.57, sampledAtMs: t0 });

    wire.transports[0]?.unplug();
    const down = source.sweep(clock.nowMs() + 3000);
    expect(down.every((r) => r.value === null)).toBe(true);
    expect(down[0]?.error).toBe("modbus link disconnected for 3 s");
    await device.stop();
  });

  it("stops a poll at the first block that times out, so a dead device does not hold the line", async () => {
    const wire = new ScriptedWire();
    const device = new ModbusDevice({ name: "cdu", map: loadRegisterMap("orv3-rpu"), transportFactory: wire.factory, clock: new ManualClock(), retries: 1, pause: () => Promise.resolve() });
    await device.start();
    wire.log = [];
    wire.failures = ["timeout", "timeout"];
    expect(await device.pollNow()).toEqual({ blocksRead: 0, blocksFailed: 7 });
    expect(wire.log.filter((l) => l.startsWith("start"))).toEqual(["start read 36864+10", "start read 36864+10"]);
    await device.stop();
  });

  it("decodes leak flags, including bits the map does not name", async () => {
    const wire = new ScriptedWire();
    const device = new ModbusDevice({ name: "cdu", map: loadRegisterMap("orv3-rpu"), transportFactory: wire.factory, clock: new ManualClock() });
    const source = new ModbusSensorSource(device);
    expect(source.leakDetected()).toBeUndefined();
    wire.words.set(37519, 0b1000_0010);
    await device.start();
    expect(source.leak()?.set).toEqual(["tray_leak", "bits 0x80"]);
    expect(source.leakDetected()).toBe(true);
    await device.stop();
  });
});
