import { EventEmitter } from "node:events";
import { SerialPort } from "serialport";
import type { Logger } from "../../src/core/logger.js";
import { answerFrame, type RegisterTable } from "./register-slave.js";
import { RtuFrameParser } from "./rtu-frame.js";

/**
 * Faults of the wire rather than the device: answers with a broken CRC, or no answers at all.
 * responses: how many answers it affects before it clears itself (default: until cleared).
 */
export interface LinkFault {
  kind: "crc" | "silence";
  responses?: number;
}

export interface SerialLineSettings {
  baudRate: number;
  parity: "none" | "even" | "odd";
  dataBits: 7 | 8;
  stopBits: 1 | 2;
}

export interface RtuSlaveStats {
  /** Frames for this unit that passed their CRC. */
  requests: number;
  responses: number;
  /** Request frames dropped for a bad CRC. */
  badRequests: number;
  /** Answers withheld or corrupted by a link fault. */
  faulted: number;
}

interface SlaveEvents {
  /** The port went away underneath (the pty's other side closed, the adapter was unplugged). */
  lost: [reason: string];
}

/** A Modbus RTU slave on a serial device (one end of a pty pair in tests), answering from a RegisterTable. */
export class RtuSlavePort extends EventEmitter<SlaveEvents> {
  private port: SerialPort | undefined;
  private parser = new RtuFrameParser();
  private fault: LinkFault | undefined;
  private readonly counters: RtuSlaveStats = { requests: 0, responses: 0, badRequests: 0, faulted: 0 };

  constructor(
    private readonly unitId: number,
    private readonly table: RegisterTable,
    private readonly logger?: Logger,
  ) {
    super();
  }

  get isOpen(): boolean {
    return this.port?.isOpen ?? false;
  }

  stats(): RtuSlaveStats {
    return { ...this.counters, badRequests: this.counters.badRequests + this.parser.crcErrors };
  }

  setFault(fault: LinkFault | undefined): void {
    this.fault = fault ? { ...fault } : undefined;
  }

  async open(path: string, line: SerialLineSettings): Promise<void> {
    if (this.port) throw new Error(`RTU slave already open on ${this.port.path}`);
    const port = new SerialPort({ path, ...line, autoOpen: false });
    await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
    this.parser = new RtuFrameParser();
    port.on("data", (chunk: Buffer) => this.onData(port, chunk));
    // Without a listener serialport's read errors (EIO when the peer vanishes) would throw.
    port.on("error", (err) => this.logger?.debug({ err: err.message, path }, "sim cdu: serial error"));
    port.on("close", () => {
      if (this.port !== port) return;
      this.port = undefined;
      this.emit("lost", `${path} closed`);
    });
    this.port = port;
  }

  close(): Promise<void> {
    const port = this.port;
    this.port = undefined;
    if (!port?.isOpen) return Promise.resolve();
    return new Promise((resolve) => port.close(() => resolve()));
  }

  private onData(port: SerialPort, chunk: Buffer): void {
    for (const frame of this.parser.push(chunk)) {
      if (frame.unitId === this.unitId) this.counters.requests++;
      const response = answerFrame(frame, this.unitId, this.table);
      if (!response) continue;
      const out = this.applyFault(response);
      if (!out) continue;
      this.counters.responses++;
      port.write(out);
    }
  }

  private applyFault(response: Buffer): Buffer | undefined {
    const fault = this.fault;
    if (!fault) return response;
    if (fault.responses !== undefined) {
      fault.responses -= 1;
      if (fault.responses <= 0) this.fault = undefined;
    }
    this.counters.faulted++;
    if (fault.kind === "silence") return undefined;
    const corrupted = Buffer.from(response);
    const last = corrupted.length - 1;
    corrupted[last] = (corrupted[last] ?? 0) ^ 0xff;
    return corrupted;
  }
}
