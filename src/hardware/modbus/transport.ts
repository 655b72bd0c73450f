import { statSync } from "node:fs";
import modbusSerial from "modbus-serial";
import { classifyModbusError, ModbusRequestError } from "./request-error.js";

// modbus-serial is CommonJS and sets module.exports.default to itself; this works under Node ESM and NodeNext typings.
const ModbusRTU = modbusSerial.default;
type ModbusClient = InstanceType<typeof ModbusRTU>;

export interface SerialSettings {
  /** Device path; prefer /dev/serial/by-id/… on real hosts, since ttyUSBn numbers move on replug. */
  path: string;
  baudRate: number;
  parity: "none" | "even" | "odd";
  dataBits: 7 | 8;
  stopBits: 1 | 2;
  unitId: number;
  /** How long one request waits for its answer. */
  timeoutMs: number;
}

/**
 * One master connection to one Modbus RTU device. The driver takes a factory of these, so a unit test can hand it
 * a scripted transport and the integration test the real serial one. Every rejection is a ModbusRequestError.
 */
export interface ModbusTransport {
  /** Opens the port; rejects (failure "disconnected") when the path is absent. */
  open(): Promise<void>;
  close(): Promise<void>;
  readonly isOpen: boolean;
  /** Called once when the port goes away underneath (adapter unplugged, pty closed). */
  onLost(listener: (reason: string) => void): void;
  readHolding(address: number, count: number): Promise<number[]>;
  readInput(address: number, count: number): Promise<number[]>;
  /** Function 06. */
  writeSingle(address: number, word: number): Promise<void>;
  /** Function 16. */
  writeMultiple(address: number, words: readonly number[]): Promise<void>;
}

export type ModbusTransportFactory = () => ModbusTransport;

/** The real transport: modbus-serial's buffered RTU port on serialport. */
export class SerialModbusTransport implements ModbusTransport {
  private client: ModbusClient | undefined;
  private lostListener: ((reason: string) => void) | undefined;
  private lastError: string | undefined;
  /** Device number the path led to when opened: a replug can put a different tty behind the same by-id link. */
  private openedRdev: number | undefined;

  constructor(private readonly settings: SerialSettings) {}

  get isOpen(): boolean {
    return this.client?.isOpen ?? false;
  }

  onLost(listener: (reason: string) => void): void {
    this.lostListener = listener;
  }

  async open(): Promise<void> {
    const { path, baudRate, parity, dataBits, stopBits, unitId, timeoutMs } = this.settings;
    // A fresh client per connection: the buffered port keeps partial frames, which must not outlive a replug.
    const client = new ModbusRTU();
    // serialport reports read errors (EIO when the device vanishes) as events; without a listener they would throw.
    client.on("error", (err: unknown) => {
      this.lastError = err instanceof Error ? err.message : String(err);
    });
    client.on("close", () => {
      if (this.client !== client) return;
      this.client = undefined;
      this.lostListener?.(this.lastError ?? `${path} closed`);
    });
    try {
      await client.connectRTUBuffered(path, { baudRate, parity, dataBits, stopBits });
    } catch (err) {
      throw classifyModbusError(err);
    }
    client.setID(unitId);
    client.setTimeout(timeoutMs);
    this.openedRdev = deviceNumber(path);
    this.lastError = undefined;
    this.client = client;
  }

  close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (!client) return Promise.resolve();
    return new Promise((resolve) => {
      // Closing a port whose device is already gone reports an error; the port is closed either way.
      client.close(() => resolve());
    });
  }

  readHolding(address: number, count: number): Promise<number[]> {
    return this.call(async (c) => (await c.readHoldingRegisters(address, count)).data);
  }

  readInput(address: number, count: number): Promise<number[]> {
    return this.call(async (c) => (await c.readInputRegisters(address, count)).data);
  }

  writeSingle(address: number, word: number): Promise<void> {
    return this.call(async (c) => {
      await c.writeRegister(address, word);
    });
  }

  writeMultiple(address: number, words: readonly number[]): Promise<void> {
    return this.call(async (c) => {
      await c.writeRegisters(address, [...words]);
    });
  }

  private async call<T>(request: (client: ModbusClient) => Promise<T>): Promise<T> {
    const client = this.client;
    if (!client?.isOpen) throw new ModbusRequestError("disconnected", `${this.settings.path} is not open`);
    try {
      return await request(client);
    } catch (err) {
      const failure = classifyModbusError(err);
      // serialport notices a vanished device only when a write fails, and not at all when a replug put a new tty behind
      // the same path: a timeout on a path that is gone, or now leads elsewhere, is an unplug.
      if ((failure.failure === "timeout" || failure.failure === "io") && this.client === client && deviceNumber(this.settings.path) !== this.openedRdev) {
        this.client = undefined;
        void new Promise<void>((resolve) => client.close(() => resolve()));
        this.lostListener?.(`${this.settings.path} disappeared or was replaced`);
        throw new ModbusRequestError("disconnected", `${this.settings.path} disappeared or was replaced`, undefined, { cause: err });
      }
      throw failure;
    }
  }
}

/** The device number a path resolves to, or undefined if it does not exist. */
function deviceNumber(path: string): number | undefined {
  try {
    return statSync(path).rdev;
  } catch {
    return undefined;
  }
}
