import { createHash } from "node:crypto";
import type { BmcPersonality } from "./personality.js";

/** Dell's IANA enterprise number: ipmitool prints "DELL Inc" for it. */
export const DELL_IANA = 674;

export interface DeviceIdentity {
  deviceId: number;
  /** Firmware major.minor as iDRAC reports it in Get Device ID (minor is BCD on the wire). */
  firmwareMajor: number;
  firmwareMinor: number;
  manufacturerId: number;
  productId: number;
  /** 16 bytes; the GUID RAKP 2 and RAKP 4 bind into their MACs. */
  guid: Buffer;
}

/**
 * What the BMC says it is. Firmware versions follow the personality: 3.30 is the last iDRAC 9 release that
 * accepts manual fan control, 4.40 one that refuses it. The GUID is derived from the host id so it is stable.
 */
export function deviceIdentity(hostId: string, personality: BmcPersonality): DeviceIdentity {
  const [firmwareMajor, firmwareMinor] = personality === "manual-ok" ? [3, 30] : [4, 40];
  return {
    deviceId: 0x20,
    firmwareMajor,
    firmwareMinor,
    manufacturerId: DELL_IANA,
    productId: 0x0100,
    guid: createHash("sha256").update(`coolfleet-bmc:${hostId}`).digest().subarray(0, 16),
  };
}

/** Get Device ID response (IPMI v2.0 section 20.1). */
export function deviceIdResponse(id: DeviceIdentity): Buffer {
  const rsp = Buffer.alloc(15);
  rsp.writeUInt8(id.deviceId, 0);
  rsp.writeUInt8(0x01, 1); // device revision 1; bit 7 clear: no device SDRs, use the SDR repository
  rsp.writeUInt8(id.firmwareMajor & 0x7f, 2); // bit 7 clear: normal operation, not in update
  rsp.writeUInt8(toBcd(id.firmwareMinor), 3);
  rsp.writeUInt8(0x02, 4); // IPMI 2.0
  rsp.writeUInt8(0x9f, 5); // chassis, IPMB event generator/receiver, FRU, SEL, SDR repository, sensor device
  rsp.writeUIntLE(id.manufacturerId, 6, 3);
  rsp.writeUInt16LE(id.productId, 9);
  rsp.set([id.firmwareMinor, id.firmwareMinor, 0x00, 0x00], 11); // aux revision, e.g. 3.30.30.00
  return rsp;
}

function toBcd(value: number): number {
  const v = Math.max(0, Math.min(99, Math.trunc(value)));
  return ((Math.trunc(v / 10) << 4) | v % 10) & 0xff;
}
