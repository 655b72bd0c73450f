import { describe, expect, it } from "vitest";
import { buildSensorTable, type BmcSensor } from "../../firmware-sim/bmc/bmc-sensors.js";
import { encodeFullSensorRecord } from "../../firmware-sim/bmc/sdr-records.js";
import { SdrRepository } from "../../firmware-sim/bmc/sdr-repository.js";
import { rawToValue, valueToRaw, type LinearConversion } from "../../firmware-sim/bmc/sensor-conversion.js";
import { SensorBank } from "../../firmware-sim/bmc/sensor-bank.js";
import type { SimSnapshot } from "../../firmware-sim/physics/types.js";

const TABLE = buildSensorTable({ sockets: 2, fans: 6, tjMaxC: 100 });

function snapshot(over: Partial<SimSnapshot> = {}): SimSnapshot {
  return {
    hostId: "h",
    profileId: "p",
    timeS: 0,
    cpuUtil: 0.5,
    diskMBps: 0,
    inletC: 24.4,
    exhaustC: 36.6,
    cpuCount: 8,
    sockets: [61.2, 58.5].map((dieC) => ({ dieC, coreC: [dieC], sinkC: 40, dynamicW: 100, leakageW: 10, throttled: false })),
    fans: [4000, 4100, 4200, 4300, 4400, 0].map((rpm) => ({ speedPct: 30, rpm, powerW: 2, dead: rpm === 0 })),
    drives: [],
    coolingPowerW: 10,
    serverPowerW: 300,
    tjMaxC: 100,
    ...over,
  };
}

function sensor(name: string, entity = "7.1"): BmcSensor {
  const s = TABLE.find((x) => x.name === name && `${x.entityId}.${x.entityInstance}` === entity);
  if (!s) throw new Error(`no ${name}@${entity}`);
  return s;
}

describe("full sensor record (SDR type 01h)", () => {
  it("lays out header, key, entity, units, linear factors and the id string per table 43-1", () => {
    const rec = encodeFullSensorRecord(3, sensor("Temp", "3.2"));
    expect(rec.readUInt16LE(0)).toBe(3); // record id
    expect(rec.readUInt8(2)).toBe(0x51); // SDR version
    expect(rec.readUInt8(3)).toBe(0x01); // full sensor record
    expect(rec.readUInt8(4)).toBe(rec.length - 5);
    expect(rec.readUInt8(5)).toBe(0x20); // owner: BMC
    expect(rec.readUInt8(7)).toBe(0x0f); // sensor number
    expect([rec.readUInt8(8), rec.readUInt8(9)]).toEqual([3, 2]); // entity 3.2
    expect(rec.readUInt8(12)).toBe(0x01); // temperature
    expect(rec.readUInt8(13)).toBe(0x01); // threshold
    expect(rec.readUInt8(20) >> 6).toBe(2); // two's complement
    expect(rec.readUInt8(21)).toBe(1); // degrees C
    expect(rec.readUInt8(23)).toBe(0); // linear
    expect([rec.readUInt8(24), rec.readUInt8(26), rec.readUInt8(29)]).toEqual([1, 0, 0]); // M=1, B=0, exponents 0
    expect(rec.readUInt8(37)).toBe(98); // UCR 98 °C = tjMax − 2
    expect(rec.readUInt8(47)).toBe(0xc4); // 8-bit ASCII, 4 bytes
    expect(rec.subarray(48).toString("latin1")).toBe("Temp");
  });

  it("fans read in 120 RPM steps, unsigned", () => {
    const rec = encodeFullSensorRecord(5, sensor("Fan1 RPM"));
    expect(rec.readUInt8(21)).toBe(18); // RPM
    expect(rec.readUInt8(24)).toBe(120);
    expect(rec.readUInt8(20) >> 6).toBe(0);
    expect(rec.subarray(48).toString("latin1")).toBe("Fan1 RPM");
  });
});

describe("linear conversion", () => {
  const temp: LinearConversion = { m: 1, b: 0, bExp: 0, rExp: 0, signed: true };
  const scaled: LinearConversion = { m: 5, b: -20, bExp: 1, rExp: -1, signed: false };

  it("round-trips within one step, keeps negative temperatures and saturates", () => {
    expect(valueToRaw(temp, -40)).toBe(0xd8);
    expect(rawToValue(temp, 0xd8)).toBe(-40);
    expect(valueToRaw(temp, 200)).toBe(0x7f);
    expect(valueToRaw(temp, -300)).toBe(0x80);
    // y = (5x − 200)·0.1 → x = (10y + 200)/5
    expect(valueToRaw(scaled, 12)).toBe(64);
    expect(rawToValue(scaled, 64)).toBeCloseTo(12);
  });
});

describe("SDR repository", () => {
  const records = TABLE.map((s, i) => encodeFullSensorRecord(i + 1, s));

  it("walks records by next-record id and ends at FFFFh", () => {
    const repo = new SdrRepository(records);
    const ids: number[] = [];
    let next = 0;
    while (next !== 0xffff) {
      const rsp = repo.get(Buffer.from([0, 0, next & 0xff, next >> 8, 0, 5]));
      expect(rsp.cc).toBe(0);
      ids.push(rsp.data?.readUInt16LE(2) ?? -1);
      next = rsp.data?.readUInt16LE(0) ?? 0xffff;
    }
    expect(ids).toEqual(records.map((_, i) => i + 1));
    expect(repo.info().data?.readUInt16LE(1)).toBe(records.length);
  });

  it("a replaced record moves the most recent addition timestamp forward, and cancels the reservation", () => {
    const repo = new SdrRepository(records);
    const additionS = (): number => repo.info().data?.readUInt32LE(5) ?? -1;
    expect(additionS()).toBe(0);
    const reservation = repo.reserve().data?.readUInt16LE(0) ?? 0;
    repo.replace(1, records[0] ?? Buffer.alloc(0), 0);
    expect(additionS()).toBe(1); // a clock standing at 0 still reads as a change
    repo.replace(2, records[1] ?? Buffer.alloc(0), 1_700_000_000);
    expect(additionS()).toBe(1_700_000_000);
    expect(repo.info().data?.readUInt16LE(1)).toBe(records.length);
    expect(repo.get(Buffer.from([reservation & 0xff, reservation >> 8, 1, 0, 2, 3])).cc).toBe(0xc5);
    expect(() => repo.replace(records.length + 1, Buffer.alloc(0), 0)).toThrow(RangeError);
  });

  it("partial reads need the current reservation; a new reservation cancels the old", () => {
    const repo = new SdrRepository(records, 16);
    const first = repo.reserve().data?.readUInt16LE(0) ?? 0;
    const read = (res: number, offset: number, count: number) => repo.get(Buffer.from([res & 0xff, res >> 8, 2, 0, offset, count]));
    expect(read(first, 5, 16).data?.subarray(2)).toEqual(records[1]?.subarray(5, 21));
    expect(read(first, 5, 17).cc).toBe(0xca); // more than one read may return
    expect(read(0, 5, 16).cc).toBe(0xc5); // no reservation for a partial read
    const second = repo.reserve().data?.readUInt16LE(0) ?? 0;
    expect(second).not.toBe(first);
    expect(read(first, 5, 16).cc).toBe(0xc5);
    expect(read(second, 48, 0xff).data?.subarray(2).toString("latin1")).toBe("Inlet Temp");
    expect(repo.get(Buffer.from([0, 0, 99, 0, 0, 5])).cc).toBe(0xcb);
    expect(repo.get(Buffer.from([0, 0])).cc).toBe(0xc7);
  });
});

describe("sensor readings", () => {
  it("quantises the physics: °C to 1 degree, fans to 120 RPM; a stopped fan is below its thresholds", () => {
    const bank = new SensorBank(TABLE, snapshot());
    const read = (name: string, entity = "7.1") => bank.reading(Buffer.from([sensor(name, entity).number]));
    expect([...(read("Inlet Temp").data ?? [])]).toEqual([24, 0xc0, 0x00, 0x80]);
    expect(read("Temp", "3.1").data?.readUInt8(0)).toBe(61);
    expect(read("Fan2 RPM").data?.readUInt8(0)).toBe(34); // 4100/120 = 34.2 → 34 → 4080 RPM
    expect(bank.displayedValue(sensor("Fan2 RPM"))).toBe(4080);
    expect(read("Fan6 RPM").data?.subarray(0, 3)).toEqual(Buffer.from([0, 0xc0, 0x03])); // at/below LNC and LCR
    expect(bank.reading(Buffer.from([0x99])).cc).toBe(0xcb);
  });

  it("faults: an empty socket is scanning-disabled, a disconnected probe reads −40 below its lower thresholds", () => {
    const bank = new SensorBank(TABLE, snapshot());
    expect(bank.setFault("Temp@3.2", "disabled")).toEqual(["Temp@3.2"]);
    expect(bank.setFault("Inlet Temp", "disconnected")).toEqual(["Inlet Temp@7.1"]);
    expect(bank.setFault("Exhaust Temp", "unavailable")).toEqual(["Exhaust Temp@7.1"]);
    expect(bank.reading(Buffer.from([0x0f])).data?.readUInt8(1)).toBe(0x80); // bit 6 clear: ipmitool prints "ns … Disabled"
    expect([...(bank.reading(Buffer.from([0x04])).data?.subarray(0, 3) ?? [])]).toEqual([0xd8, 0xc0, 0x03]); // lnc+lcr
    expect(bank.reading(Buffer.from([0x01])).data?.readUInt8(1)).toBe(0xe0); // reading unavailable
    expect(bank.hottestCpuC()).toBeCloseTo(61.2); // the empty socket does not count
    bank.setFault("Temp@3.2", undefined);
    expect(bank.reading(Buffer.from([0x0f])).data?.readUInt8(0)).toBe(59);
  });

  it("thresholds come back in Get Sensor Thresholds order with the readable mask", () => {
    const bank = new SensorBank(TABLE, snapshot());
    expect([...(bank.thresholds(Buffer.from([0x04])).data ?? [])]).toEqual([0x1b, 3, 0xf9, 0, 42, 47, 0]); // LNC 3, LCR −7, UNC 42, UCR 47
  });

  it("11G naming: Ambient and Planar, FAN n RPM, no exhaust", () => {
    const names = buildSensorTable({ sockets: 2, fans: 2, tjMaxC: 95 }, "11g").map((s) => s.name);
    expect(names).toEqual(["Ambient Temp", "Planar Temp", "Temp", "Temp", "FAN 1 RPM", "FAN 2 RPM"]);
  });
});
