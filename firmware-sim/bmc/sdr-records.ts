import { BMC_SLAVE_ADDRESS } from "./ipmi-message.js";
import type { BmcSensor, SensorThresholds } from "./bmc-sensors.js";
import { conversionBytes, valueToRaw } from "./sensor-conversion.js";

/** SDR record header fields (IPMI v2.0 section 43): version 51h, full sensor record type 01h. */
export const SDR_VERSION = 0x51;
export const SDR_TYPE_FULL_SENSOR = 0x01;
export const SDR_HEADER_BYTES = 5;
/** Event/reading type code of threshold sensors. */
const THRESHOLD_READING_TYPE = 0x01;
const MAX_ID_BYTES = 16;

/** Threshold mask bits in the order of Get Sensor Thresholds and the SDR masks: LNC, LCR, LNR, UNC, UCR, UNR. */
export const THRESHOLD_ORDER = ["lnc", "lcr", "lnr", "unc", "ucr", "unr"] as const satisfies readonly (keyof SensorThresholds)[];

export function thresholdMask(thresholds: SensorThresholds): number {
  return THRESHOLD_ORDER.reduce((mask, key, bit) => (thresholds[key] !== undefined ? mask | (1 << bit) : mask), 0);
}

/**
 * One full sensor record (table 43-1), header included. Threshold sensors with linear conversion, readable
 * (not settable) thresholds and hysteresis, scanning and events enabled — what an iDRAC reports.
 */
export function encodeFullSensorRecord(recordId: number, sensor: BmcSensor): Buffer {
  const id = Buffer.from(sensor.name, "latin1").subarray(0, MAX_ID_BYTES);
  const body = Buffer.alloc(43 + id.length);
  const mask = thresholdMask(sensor.thresholds);
  const lowerMask = mask & 0x07;
  const upperMask = (mask >> 3) & 0x07;
  const raw = (key: keyof SensorThresholds): number => {
    const value = sensor.thresholds[key];
    return value === undefined ? 0 : valueToRaw(sensor.conversion, value);
  };
  let o = 0;
  body.writeUInt8(BMC_SLAVE_ADDRESS, o++); // sensor owner: the BMC on IPMB
  body.writeUInt8(0x00, o++); // channel 0, LUN 0
  body.writeUInt8(sensor.number, o++);
  body.writeUInt8(sensor.entityId, o++);
  body.writeUInt8(sensor.entityInstance & 0x7f, o++); // physical entity
  body.writeUInt8(0x7f, o++); // initialisation: scanning, events, thresholds, hysteresis, type; enabled by default
  body.writeUInt8(0x54, o++); // capabilities: auto re-arm, hysteresis readable, thresholds readable
  body.writeUInt8(sensor.sensorType, o++);
  body.writeUInt8(THRESHOLD_READING_TYPE, o++);
  body.writeUInt16LE(lowerMask << 12, o); // lower threshold comparisons returned
  o += 2;
  body.writeUInt16LE(upperMask << 12, o); // upper threshold comparisons returned
  o += 2;
  body.writeUInt8(mask, o++); // readable thresholds
  body.writeUInt8(0x00, o++); // settable thresholds: none
  body.writeUInt8(sensor.conversion.signed ? 0x80 : 0x00, o++); // analog format: 2's complement or unsigned
  body.writeUInt8(sensor.unit, o++);
  body.writeUInt8(0x00, o++); // modifier unit
  body.writeUInt8(0x00, o++); // linear
  conversionBytes(sensor.conversion).copy(body, o);
  o += 6;
  body.writeUInt8(0x00, o++); // analog characteristics: no nominal/normal values
  body.writeUInt8(0x00, o++); // nominal reading
  body.writeUInt8(0x00, o++); // normal maximum
  body.writeUInt8(0x00, o++); // normal minimum
  body.writeUInt8(sensor.conversion.signed ? 0x7f : 0xff, o++); // sensor maximum reading
  body.writeUInt8(sensor.conversion.signed ? 0x80 : 0x00, o++); // sensor minimum reading
  for (const key of ["unr", "ucr", "unc", "lnr", "lcr", "lnc"] as const) body.writeUInt8(raw(key), o++);
  body.writeUInt8(0x01, o++); // positive-going hysteresis
  body.writeUInt8(0x01, o++); // negative-going hysteresis
  o += 2; // reserved
  body.writeUInt8(0x00, o++); // OEM
  body.writeUInt8(0xc0 | id.length, o++); // 8-bit ASCII + Latin-1 id string
  id.copy(body, o);

  const header = Buffer.alloc(SDR_HEADER_BYTES);
  header.writeUInt16LE(recordId, 0);
  header.writeUInt8(SDR_VERSION, 2);
  header.writeUInt8(SDR_TYPE_FULL_SENSOR, 3);
  header.writeUInt8(body.length, 4);
  return Buffer.concat([header, body]);
}
