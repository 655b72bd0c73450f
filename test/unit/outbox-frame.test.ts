import { describe, expect, it } from "vitest";
import { AckRanges, decodeFrame, encodeFrame, markHistorical, type OutboxRecord } from "../../src/agent/outbox/index.js";
import { decodeTelemetry, encode, type Telemetry } from "../../src/protocol/index.js";

const record: OutboxRecord = { id: 281_474_976_710_000, kind: "telemetry", topic: "coolfleet/v1/h-1/telemetry", payload: '{"v":1,"ünï":"cödé"}', appendedMs: 1_763_712_000_123 };

describe("outbox record framing", () => {
  it("round-trips a record, including 48-bit ids and times and non-ASCII payloads", () => {
    const frame = encodeFrame(record);
    expect(decodeFrame(frame)).toEqual({ status: "ok", record, frameBytes: frame.length });
    const ack = { ...record, id: 1, kind: "ack" as const };
    expect(decodeFrame(encodeFrame(ack))).toMatchObject({ status: "ok", record: ack });
  });

  it("decodes frames back to back at an offset", () => {
    const second = { ...record, id: 2, payload: "{}" };
    const joined = Buffer.concat([encodeFrame(record), encodeFrame(second)]);
    const first = decodeFrame(joined);
    expect(first.status).toBe("ok");
    expect(decodeFrame(joined, first.status === "ok" ? first.frameBytes : 0)).toMatchObject({ status: "ok", record: second });
  });

  it("calls a frame cut short incomplete, at every cut point", () => {
    const frame = encodeFrame(record);
    for (let cut = 0; cut < frame.length; cut++) {
      expect(decodeFrame(frame.subarray(0, cut)).status).toBe("incomplete");
    }
  });

  it("calls a flipped bit anywhere in the body a CRC mismatch", () => {
    const frame = encodeFrame(record);
    for (let at = 8; at < frame.length; at++) {
      const damaged = Buffer.from(frame);
      damaged[at]! ^= 0x10;
      expect(decodeFrame(damaged)).toEqual({ status: "corrupt", reason: "CRC mismatch" });
    }
  });

  it("calls an implausible length corrupt instead of waiting for a megabyte that never comes", () => {
    const frame = encodeFrame(record);
    frame.writeUInt32LE(0xffffff00, 0);
    expect(decodeFrame(frame).status).toBe("corrupt");
  });
});

describe("AckRanges", () => {
  it("merges acknowledgements in any order into ranges and counts within a span", () => {
    const acked = new AckRanges();
    for (const id of [1, 2, 3, 10, 11, 5, 4, 12, 20]) acked.add(id);
    expect(acked.toJSON()).toEqual([[1, 5], [10, 12], [20, 20]]);
    expect(acked.has(4)).toBe(true);
    expect(acked.has(6)).toBe(false);
    expect(acked.has(21)).toBe(false);
    expect(acked.countIn(3, 11)).toBe(5);
    expect(acked.maxId()).toBe(20);
    acked.add(6);
    acked.add(7);
    acked.add(8);
    acked.add(9);
    expect(acked.toJSON()).toEqual([[1, 12], [20, 20]]);
    acked.forgetBelow(11);
    expect(acked.toJSON()).toEqual([[11, 12], [20, 20]]);
    expect(new AckRanges(acked.toJSON()).toJSON()).toEqual([[11, 12], [20, 20]]);
  });
});

describe("markHistorical", () => {
  it("adds historical: true to an encoded telemetry message, which still validates", () => {
    const telemetry: Telemetry = { v: 1, host: "h-1", boot: "boot-0001", seq: 7, ts: 1000, periodMs: 1000, mode: "local", outputs: { fanPct: 40 }, dropped: 0, readings: [] };
    const decoded = decodeTelemetry(Buffer.from(markHistorical(encode(telemetry))));
    expect(decoded).toEqual({ ok: true, value: { ...telemetry, historical: true } });
    expect(markHistorical(markHistorical(encode(telemetry)))).toBe(markHistorical(encode(telemetry)));
  });
});
