import { encodeException, encodeReadResponse, encodeWriteResponse, ModbusException, type RtuFrame } from "./rtu-frame.js";

/** The register space a simulated device serves, as raw 16-bit words. */
export interface RegisterTable {
  /** The word at address, or undefined when nothing is mapped there. */
  read(table: "holding" | "input", address: number): number | undefined;
  /** Why a write of word to a holding register would be refused (a Modbus exception code), or undefined if it is fine. */
  checkWrite(address: number, word: number): number | undefined;
  /** Applies a write that checkWrite accepted. */
  write(address: number, word: number): void;
}

const BROADCAST = 0;

/**
 * Answers one request frame the way a Modbus RTU slave does: 03/04 reads, 06/16 writes, exceptions for the rest.
 * Returns the response frame, or undefined when the slave must stay silent (another unit, a broadcast).
 */
export function answerFrame(frame: RtuFrame, unitId: number, table: RegisterTable): Buffer | undefined {
  const broadcast = frame.unitId === BROADCAST;
  if (!broadcast && frame.unitId !== unitId) return undefined;
  const reply = (response: Buffer) => (broadcast ? undefined : response);
  const fc = frame.functionCode;
  const d = frame.data;
  const fail = (code: number) => reply(encodeException(unitId, fc, code));
  switch (fc) {
    case 3:
    case 4: {
      if (broadcast) return undefined;
      const address = d.readUInt16BE(0);
      const count = d.readUInt16BE(2);
      if (count < 1 || count > 125) return fail(ModbusException.IllegalDataValue);
      const words: number[] = [];
      for (let a = address; a < address + count; a++) {
        const word = a <= 0xffff ? table.read(fc === 3 ? "holding" : "input", a) : undefined;
        if (word === undefined) return fail(ModbusException.IllegalDataAddress);
        words.push(word);
      }
      return encodeReadResponse(unitId, fc, words);
    }
    case 6: {
      const address = d.readUInt16BE(0);
      const word = d.readUInt16BE(2);
      const refused = table.checkWrite(address, word);
      if (refused !== undefined) return fail(refused);
      table.write(address, word);
      return reply(encodeWriteResponse(unitId, fc, address, word));
    }
    case 16: {
      const address = d.readUInt16BE(0);
      const count = d.readUInt16BE(2);
      const byteCount = d[4] ?? 0;
      if (count < 1 || count > 123 || byteCount !== count * 2 || d.length !== 5 + byteCount) return fail(ModbusException.IllegalDataValue);
      const words = Array.from({ length: count }, (_, i) => d.readUInt16BE(5 + i * 2));
      // All or nothing, as the standard asks: check every register before changing any.
      for (let i = 0; i < count; i++) {
        const refused = table.checkWrite(address + i, words[i] ?? 0);
        if (refused !== undefined) return fail(refused);
      }
      words.forEach((word, i) => table.write(address + i, word));
      return reply(encodeWriteResponse(unitId, fc, address, count));
    }
    default:
      return fail(ModbusException.IllegalFunction);
  }
}
