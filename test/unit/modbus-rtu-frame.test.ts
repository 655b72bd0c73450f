import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { answerFrame, crc16, encodeRequest, hasValidCrc, RtuFrameParser, withCrc, type RegisterTable } from "../../firmware-sim/cdu/index.js";

// modbus-serial's own CRC, an independent implementation to check ours against.
const referenceCrc16 = createRequire(import.meta.url)("modbus-serial/utils/crc16") as (buf: Buffer) => number;

const hex = (text: string) => Buffer.from(text.replace(/\s+/g, ""), "hex");

function readRequest(unit: number, fc: number, address: number, count: number): Buffer {
  const data = Buffer.alloc(4);
  data.writeUInt16BE(address, 0);
  data.writeUInt16BE(count, 2);
  return encodeRequest(unit, fc, data);
}

describe("RTU CRC-16", () => {
  it("matches the published examples and modbus-serial's implementation", () => {
    expect(withCrc(hex("01 03 00 00 00 0A"))).toEqual(hex("01 03 00 00 00 0A C5 CD"));
    expect(withCrc(hex("01 03 00 00 00 01"))).toEqual(hex("01 03 00 00 00 01 84 0A"));
    for (const frame of [hex("0d 03 94 17 00 01"), hex("11 10 00 01 00 02 04 00 0a 01 02"), Buffer.from([0xff])]) {
      expect(crc16(frame)).toBe(referenceCrc16(frame));
    }
    expect(hasValidCrc(hex("01 03 00 00 00 0A C5 CD"))).toBe(true);
    expect(hasValidCrc(hex("01 03 00 00 00 0A C5 CE"))).toBe(false);
  });
});

describe("RtuFrameParser", () => {
  it("reassembles frames split across reads, and cuts back-to-back frames", () => {
    let now = 0;
    const parser = new RtuFrameParser({ nowMs: () => now });
    const a = readRequest(13, 3, 37911, 1);
    const b = readRequest(13, 4, 1, 2);
    expect(parser.push(a.subarray(0, 3))).toEqual([]);
    now += 5;
    const frames = parser.push(Buffer.concat([a.subarray(3), b]));
    expect(frames.map((f) => [f.unitId, f.functionCode, f.data.toString("hex")])).toEqual([
      [13, 3, "94170001"],
      [13, 4, "00010002"],
    ]);
  });

  it("frames function 16 by its byte count", () => {
    const parser = new RtuFrameParser({ nowMs: () => 0 });
    const write = encodeRequest(1, 16, hex("0001 0002 04 000a 0102"));
    expect(parser.push(write.subarray(0, 6))).toEqual([]);
    expect(parser.push(write.subarray(6))).toHaveLength(1);
  });

  it("drops a frame with a bad CRC and finds the next good one (resync)", () => {
    const parser = new RtuFrameParser({ nowMs: () => 0 });
    const bad = Buffer.from(readRequest(13, 3, 1, 1));
    bad[7] = (bad[7] ?? 0) ^ 0x55;
    const frames = parser.push(Buffer.concat([bad, readRequest(13, 3, 2, 1)]));
    expect(frames.map((f) => f.data.readUInt16BE(0))).toEqual([2]);
    expect(parser.crcErrors).toBe(1);
  });

  it("forgets a half frame after a silence, as RTU's inter-frame gap says", () => {
    let now = 0;
    const parser = new RtuFrameParser({ nowMs: () => now, interFrameGapMs: 50 });
    parser.push(readRequest(13, 3, 1, 1).subarray(0, 4));
    now += 200;
    expect(parser.push(readRequest(13, 3, 9, 1)).map((f) => f.data.readUInt16BE(0))).toEqual([9]);
  });
});

describe("answerFrame", () => {
  const words = new Map([
    [100, 7],
    [101, 0xfffe],
  ]);
  const writes: [number, number][] = [];
  const table: RegisterTable = {
    read: (fn, address) => (fn === "holding" ? words.get(address) : undefined),
    checkWrite: (address, word) => (address !== 100 ? 2 : word > 10 ? 3 : undefined),
    write: (address, word) => void writes.push([address, word]),
  };
  const frame = (unitId: number, functionCode: number, data: string) => ({ unitId, functionCode, data: hex(data) });

  it("answers reads with a byte count and big-endian words", () => {
    expect(answerFrame(frame(5, 3, "0064 0002"), 5, table)).toEqual(withCrc(hex("05 03 04 0007 fffe")));
  });

  it("answers exceptions: 02 for an unmapped address, 03 for a bad count or value, 01 for an unknown function", () => {
    expect(answerFrame(frame(5, 3, "0064 0003"), 5, table)).toEqual(withCrc(hex("05 83 02")));
    expect(answerFrame(frame(5, 4, "0064 0001"), 5, table)).toEqual(withCrc(hex("05 84 02")));
    expect(answerFrame(frame(5, 3, "0064 0000"), 5, table)).toEqual(withCrc(hex("05 83 03")));
    expect(answerFrame(frame(5, 6, "0064 000b"), 5, table)).toEqual(withCrc(hex("05 86 03")));
    expect(answerFrame(frame(5, 16, "0064 0002 04 0001 0002"), 5, table)).toEqual(withCrc(hex("05 90 02")));
    expect(answerFrame(frame(5, 1, "0000 0001"), 5, table)).toEqual(withCrc(hex("05 81 01")));
    expect(writes).toEqual([]);
  });

  it("echoes writes; stays silent for other units and for broadcasts (which it still applies)", () => {
    expect(answerFrame(frame(5, 6, "0064 0009"), 5, table)).toEqual(withCrc(hex("05 06 0064 0009")));
    expect(answerFrame(frame(5, 16, "0064 0001 02 0004"), 5, table)).toEqual(withCrc(hex("05 10 0064 0001")));
    expect(answerFrame(frame(6, 6, "0064 0001"), 5, table)).toBeUndefined();
    expect(answerFrame(frame(0, 6, "0064 0002"), 5, table)).toBeUndefined();
    expect(answerFrame(frame(0, 3, "0064 0001"), 5, table)).toBeUndefined();
    expect(writes).toEqual([
      [100, 9],
      [100, 4],
      [100, 2],
    ]);
  });
});
