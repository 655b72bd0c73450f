/**
 * What went wrong with one Modbus request, as the retry policy needs to know it:
 * - timeout: no (complete) answer in time; the line or the device may be busy: retry.
 * - crc: an answer arrived damaged (noise on RS-485, a collision): retry.
 * - exception: the device answered and refused (illegal address, value …): retrying gives the same answer.
 * - disconnected: the port is gone (USB adapter unplugged, pty closed): the link reconnects, requests fail fast.
 * - io: anything else the serial layer reported.
 */
export type ModbusFailure = "timeout" | "crc" | "exception" | "disconnected" | "io";

export class ModbusRequestError extends Error {
  constructor(
    readonly failure: ModbusFailure,
    message: string,
    /** The Modbus exception code (1 illegal function, 2 illegal data address, 3 illegal data value, …). */
    readonly exceptionCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "ModbusRequestError";
  }
}

export function isModbusRequestError(err: unknown, failure?: ModbusFailure): err is ModbusRequestError {
  return err instanceof ModbusRequestError && (failure === undefined || err.failure === failure);
}

/** modbus-serial reports by message and errno; these are the ones it produces (index.js, v8). */
export function classifyModbusError(err: unknown): ModbusRequestError {
  if (err instanceof ModbusRequestError) return err;
  const e = (err ?? {}) as { message?: unknown; errno?: unknown; code?: unknown; modbusCode?: unknown };
  const message = typeof e.message === "string" ? e.message : describeUnknown(err);
  if (typeof e.modbusCode === "number") return new ModbusRequestError("exception", message, e.modbusCode, { cause: err });
  if (e.errno === "ETIMEDOUT" || message === "Timed out") return new ModbusRequestError("timeout", "no answer in time", undefined, { cause: err });
  if (message.startsWith("CRC error") || message.startsWith("Data length error")) return new ModbusRequestError("crc", message, undefined, { cause: err });
  if (message === "Port Not Open" || /No such file|ENOENT|EIO|ENXIO|bad file descriptor|disconnected/i.test(message) || e.code === "ENOENT") {
    return new ModbusRequestError("disconnected", message, undefined, { cause: err });
  }
  return new ModbusRequestError("io", message, undefined, { cause: err });
}

/** String(err) throws for objects without a prototype; a failure report must never throw. */
function describeUnknown(err: unknown): string {
  try {
    return String(err);
  } catch {
    return Object.prototype.toString.call(err);
  }
}
