/**
 * The IPMI message carried inside a LAN session (IPMI v2.0 figure 13-4): two checksummed parts,
 * rsAddr·netFn/rsLUN then rqAddr·rqSeq/rqLUN·cmd·data. Requests and responses swap the address roles.
 */
export const BMC_SLAVE_ADDRESS = 0x20;
/** Minimum request: 3 header bytes, rqAddr, rqSeq, cmd and the second checksum. */
const MIN_REQUEST_BYTES = 7;

export interface IpmiRequest {
  rsAddr: number;
  netFn: number;
  rsLun: number;
  rqAddr: number;
  rqSeq: number;
  rqLun: number;
  cmd: number;
  data: Buffer;
}

/** Two's-complement checksum: the covered bytes plus the checksum sum to 0 mod 256. */
export function ipmiChecksum(bytes: Uint8Array): number {
  let sum = 0;
  for (const b of bytes) sum = (sum + b) & 0xff;
  return (0x100 - sum) & 0xff;
}

/** The request, or undefined when it is too short or a checksum is wrong (a BMC drops such messages). */
export function parseIpmiRequest(msg: Buffer): IpmiRequest | undefined {
  if (msg.length < MIN_REQUEST_BYTES) return undefined;
  if (ipmiChecksum(msg.subarray(0, 2)) !== msg.readUInt8(2)) return undefined;
  const body = msg.subarray(3, msg.length - 1);
  if (ipmiChecksum(body) !== msg.readUInt8(msg.length - 1)) return undefined;
  const netFnLun = msg.readUInt8(1);
  const seqLun = msg.readUInt8(4);
  return {
    rsAddr: msg.readUInt8(0),
    netFn: netFnLun >> 2,
    rsLun: netFnLun & 0x03,
    rqAddr: msg.readUInt8(3),
    rqSeq: seqLun >> 2,
    rqLun: seqLun & 0x03,
    cmd: msg.readUInt8(5),
    data: Buffer.from(msg.subarray(6, msg.length - 1)),
  };
}

/** The response message to a request: response netFn is the request's + 1. */
export function buildIpmiResponse(req: IpmiRequest, cc: number, data: Buffer = Buffer.alloc(0)): Buffer {
  const msg = Buffer.alloc(8 + data.length);
  msg.writeUInt8(req.rqAddr, 0);
  msg.writeUInt8((((req.netFn | 1) << 2) | req.rqLun) & 0xff, 1);
  msg.writeUInt8(ipmiChecksum(msg.subarray(0, 2)), 2);
  msg.writeUInt8(req.rsAddr, 3);
  msg.writeUInt8(((req.rqSeq << 2) | req.rsLun) & 0xff, 4);
  msg.writeUInt8(req.cmd, 5);
  msg.writeUInt8(cc, 6);
  data.copy(msg, 7);
  msg.writeUInt8(ipmiChecksum(msg.subarray(3, msg.length - 1)), msg.length - 1);
  return msg;
}

/** Builds a request message (the BMC never sends one; tests use it to speak to the BMC). */
export function buildIpmiRequest(fields: { netFn: number; cmd: number; rqSeq: number; data?: readonly number[] | Buffer; rqAddr?: number }): Buffer {
  const data = Buffer.from(fields.data ?? []);
  const msg = Buffer.alloc(7 + data.length);
  msg.writeUInt8(BMC_SLAVE_ADDRESS, 0);
  msg.writeUInt8((fields.netFn << 2) & 0xff, 1);
  msg.writeUInt8(ipmiChecksum(msg.subarray(0, 2)), 2);
  msg.writeUInt8(fields.rqAddr ?? 0x81, 3);
  msg.writeUInt8((fields.rqSeq << 2) & 0xff, 4);
  msg.writeUInt8(fields.cmd, 5);
  data.copy(msg, 6);
  msg.writeUInt8(ipmiChecksum(msg.subarray(3, msg.length - 1)), msg.length - 1);
  return msg;
}
