/**
 * RMCP framing (DMTF ASF 2.0 / IPMI v2.0 section 13.1): every IPMI-over-LAN datagram starts with a 4-byte
 * RMCP header; class 0x07 carries IPMI, class 0x06 carries ASF (presence ping / pong).
 */
export const RMCP_VERSION = 0x06;
/** "No RMCP ACK" sequence number: IPMI traffic never asks for RMCP-level acknowledgement. */
export const RMCP_SEQ_NO_ACK = 0xff;
export const RMCP_CLASS_ASF = 0x06;
export const RMCP_CLASS_IPMI = 0x07;
export const RMCP_HEADER_BYTES = 4;

const ASF_IANA = 4542;
const ASF_PRESENCE_PING = 0x80;
const ASF_PRESENCE_PONG = 0x40;

export interface RmcpHeader {
  version: number;
  sequence: number;
  messageClass: number;
}

/** The header, or undefined for a datagram too short or of another RMCP version (dropped, as BMCs do). */
export function parseRmcpHeader(datagram: Buffer): RmcpHeader | undefined {
  if (datagram.length < RMCP_HEADER_BYTES) return undefined;
  const version = datagram.readUInt8(0);
  if (version !== RMCP_VERSION) return undefined;
  // Bit 7 of the class byte is the RMCP ACK flag; the class is the low 5 bits.
  return { version, sequence: datagram.readUInt8(2), messageClass: datagram.readUInt8(3) & 0x1f };
}

export function rmcpIpmiHeader(): Buffer {
  return Buffer.from([RMCP_VERSION, 0x00, RMCP_SEQ_NO_ACK, RMCP_CLASS_IPMI]);
}

/**
 * The pong for an ASF presence ping, or undefined if the datagram is some other ASF message.
 * ASF message: IANA 4542 (4 bytes BE), type, tag, reserved, data length.
 */
export function asfPongFor(datagram: Buffer): Buffer | undefined {
  if (datagram.length < RMCP_HEADER_BYTES + 8) return undefined;
  const iana = datagram.readUInt32BE(4);
  const type = datagram.readUInt8(8);
  if (iana !== ASF_IANA || type !== ASF_PRESENCE_PING) return undefined;
  const tag = datagram.readUInt8(9);
  const pong = Buffer.alloc(RMCP_HEADER_BYTES + 8 + 16);
  pong.set([RMCP_VERSION, 0x00, RMCP_SEQ_NO_ACK, RMCP_CLASS_ASF], 0);
  pong.writeUInt32BE(ASF_IANA, 4);
  pong.writeUInt8(ASF_PRESENCE_PONG, 8);
  pong.writeUInt8(tag, 9);
  pong.writeUInt8(0, 10);
  pong.writeUInt8(16, 11);
  // Pong data: IANA, OEM-defined (0), supported entities (bit 7: IPMI supported; version ASF 1.0),
  // supported interactions (bit 7: RMCP security extensions), 6 reserved bytes.
  pong.writeUInt32BE(ASF_IANA, 12);
  pong.writeUInt32BE(0, 16);
  pong.writeUInt8(0x81, 20);
  pong.writeUInt8(0x00, 21);
  return pong;
}
