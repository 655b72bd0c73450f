import { createCipheriv, createDecipheriv, createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { SimulatedBmc } from "../../firmware-sim/bmc/index.js";
import { SimHost, loadProfile } from "../../firmware-sim/index.js";
import { ManualClock } from "../../src/core/clock.js";

/**
 * A hand-written RMCP+ console: every byte layout and HMAC here is computed from the IPMI v2.0 spec with
 * node:crypto directly, not with the simulator's own helpers, so the two implementations check each other.
 */

const PASSWORD = "calvin";
const USER = "root";
const CONSOLE_SID = 0xa0a2a3a4;
const RM = Buffer.from("00112233445566778899aabbccddeeff", "hex");
const ROLE_ADMIN_NAME_ONLY = 0x14;

type Hash = "sha1" | "sha256";
const SUITES = {
  3: { auth: 0x01, integrity: 0x01, conf: 0x01, hash: "sha1" as Hash, authCode: 12, icv: 12 },
  17: { auth: 0x03, integrity: 0x04, conf: 0x01, hash: "sha256" as Hash, authCode: 16, icv: 16 },
};

/** Deterministic "randomness" for the BMC: a counter, so a failing test is reproducible. */
function counterBytes(): (n: number) => Buffer {
  let next = 1;
  return (n) => Buffer.from(Array.from({ length: n }, () => next++ & 0xff));
}

function newBmc(opts: { password?: string; cipherSuites?: number[] } = {}): SimulatedBmc {
  const host = new SimHost({ hostId: "r740-unit", profile: loadProfile("poweredge-r740-air"), seed: 7 });
  return new SimulatedBmc({ host, clock: new ManualClock(), randomBytes: counterBytes(), ...opts });
}

const hmac = (hash: Hash, key: Buffer | string, ...parts: Buffer[]) => {
  const m = createHmac(hash, key);
  for (const p of parts) m.update(p);
  return m.digest();
};
const le32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const csum = (bytes: Buffer) => (0x100 - (bytes.reduce((a, b) => a + b, 0) & 0xff)) & 0xff;

function ipmiRequest(netFn: number, cmd: number, seq: number, data: number[] = []): Buffer {
  const head = Buffer.from([0x20, netFn << 2]);
  const body = Buffer.from([0x81, seq << 2, cmd, ...data]);
  return Buffer.concat([head, Buffer.from([csum(head)]), body, Buffer.from([csum(body)])]);
}

/** v2.0 session packet: RMCP, auth type 06h, payload type, SID, seq, length, payload [, trailer]. */
function v2Packet(payloadType: number, sid: number, seq: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(12);
  head.writeUInt8(0x06, 0);
  head.writeUInt8(payloadType, 1);
  head.writeUInt32LE(sid, 2);
  head.writeUInt32LE(seq, 6);
  head.writeUInt16LE(payload.length, 10);
  return Buffer.concat([Buffer.from([0x06, 0x00, 0xff, 0x07]), head, payload]);
}

function v2Parse(datagram: Buffer) {
  const payloadType = datagram.readUInt8(5);
  const length = datagram.readUInt16LE(14);
  return { payloadType, sid: datagram.readUInt32LE(6), seq: datagram.readUInt32LE(10), payload: datagram.subarray(16, 16 + length), raw: datagram };
}

function answer(bmc: SimulatedBmc, datagram: Buffer) {
  const reply = bmc.handleDatagram(datagram);
  if (!reply) throw new Error("BMC dropped the datagram");
  return v2Parse(reply);
}

interface Keys {
  sidc: number;
  k1: Buffer;
  aesKey: Buffer;
  guid: Buffer;
  rc: Buffer;
}

/** Open Session + RAKP 1–4 with the given suite; returns the keys or the failing status. */
function handshake(bmc: SimulatedBmc, suiteId: 3 | 17, password = PASSWORD, user = USER) {
  const s = SUITES[suiteId];
  const open = Buffer.alloc(32);
  open.writeUInt8(0x00, 0); // tag
  open.writeUInt8(0x00, 1); // highest privilege the algorithms allow
  open.writeUInt32LE(CONSOLE_SID, 4);
  open.set([0x00, 0, 0, 0x08, s.auth, 0, 0, 0], 8);
  open.set([0x01, 0, 0, 0x08, s.integrity, 0, 0, 0], 16);
  open.set([0x02, 0, 0, 0x08, s.conf, 0, 0, 0], 24);
  const openRsp = answer(bmc, v2Packet(0x10, 0, 0, open));
  expect(openRsp.payloadType).toBe(0x11);
  const status = openRsp.payload.readUInt8(1);
  if (status !== 0) return { stage: "open", status } as const;
  expect(openRsp.payload.readUInt8(2)).toBe(4); // administrator
  expect(openRsp.payload.readUInt32LE(4)).toBe(CONSOLE_SID);
  expect([openRsp.payload.readUInt8(16), openRsp.payload.readUInt8(24), openRsp.payload.readUInt8(32)]).toEqual([s.auth, s.integrity, s.conf]);
  const sidc = openRsp.payload.readUInt32LE(8);

  const name = Buffer.from(user, "latin1");
  const rakp1 = Buffer.alloc(28 + name.length);
  rakp1.writeUInt32LE(sidc, 4);
  RM.copy(rakp1, 8);
  rakp1.writeUInt8(ROLE_ADMIN_NAME_ONLY, 24);
  rakp1.writeUInt8(name.length, 27);
  name.copy(rakp1, 28);
  const rakp2 = answer(bmc, v2Packet(0x12, 0, 0, rakp1));
  expect(rakp2.payloadType).toBe(0x13);
  if (rakp2.payload.readUInt8(1) !== 0) return { stage: "rakp2", status: rakp2.payload.readUInt8(1) } as const;
  const rc = Buffer.from(rakp2.payload.subarray(8, 24));
  const guid = Buffer.from(rakp2.payload.subarray(24, 40));
  const roleName = Buffer.concat([Buffer.from([ROLE_ADMIN_NAME_ONLY, name.length]), name]);
  const bmcProof = rakp2.payload.subarray(40);
  const expectedProof = hmac(s.hash, PASSWORD, le32(CONSOLE_SID), le32(sidc), RM, rc, guid, roleName);
  const bmcKnowsOurPassword = bmcProof.equals(hmac(s.hash, password, le32(CONSOLE_SID), le32(sidc), RM, rc, guid, roleName));
  expect(bmcProof.equals(expectedProof)).toBe(true); // the BMC proves it holds "calvin"

  const rakp3 = Buffer.alloc(8);
  rakp3.writeUInt32LE(sidc, 4);
  const rakp3Full = Buffer.concat([rakp3, hmac(s.hash, password, rc, le32(CONSOLE_SID), roleName)]);
  const rakp4 = answer(bmc, v2Packet(0x14, 0, 0, rakp3Full));
  expect(rakp4.payloadType).toBe(0x15);
  if (rakp4.payload.readUInt8(1) !== 0) return { stage: "rakp4", status: rakp4.payload.readUInt8(1), bmcKnowsOurPassword } as const;
  const sik = hmac(s.hash, password, RM, rc, roleName);
  const icv = hmac(s.hash, sik, RM, le32(sidc), guid).subarray(0, s.icv);
  expect(rakp4.payload.readUInt32LE(4)).toBe(CONSOLE_SID);
  expect(rakp4.payload.subarray(8).equals(icv)).toBe(true);
  const keys: Keys = {
    sidc,
    k1: hmac(s.hash, sik, Buffer.alloc(20, 1)),
    aesKey: hmac(s.hash, sik, Buffer.alloc(20, 2)).subarray(0, 16),
    guid,
    rc,
  };
  return { stage: "active", keys } as const;
}

/** An encrypted, authenticated IPMI request inside the session. */
function sealed(suiteId: 3 | 17, keys: Keys, seq: number, msg: Buffer, iv = Buffer.alloc(16, 0x5a)): Buffer {
  const s = SUITES[suiteId];
  const padLen = (16 - ((msg.length + 1) % 16)) % 16;
  const plain = Buffer.concat([msg, Buffer.from(Array.from({ length: padLen }, (_, i) => i + 1)), Buffer.from([padLen])]);
  const c = createCipheriv("aes-128-cbc", keys.aesKey, iv).setAutoPadding(false);
  const payload = Buffer.concat([iv, c.update(plain), c.final()]);
  const packet = v2Packet(0xc0, keys.sidc, seq, payload);
  const intPad = (4 - ((12 + payload.length + 2) % 4)) % 4;
  const trailer = Buffer.concat([Buffer.alloc(intPad, 0xff), Buffer.from([intPad, 0x07])]);
  const signed = Buffer.concat([packet.subarray(4), trailer]);
  return Buffer.concat([packet, trailer, hmac(s.hash, keys.k1, signed).subarray(0, s.authCode)]);
}

/** Checks the BMC's AuthCode and decrypts its IPMI response; returns completion code and data. */
function unseal(suiteId: 3 | 17, keys: Keys, reply: ReturnType<typeof v2Parse>) {
  const s = SUITES[suiteId];
  expect(reply.payloadType).toBe(0xc0); // encrypted, authenticated, IPMI
  expect(reply.sid).toBe(CONSOLE_SID);
  const authStart = reply.raw.length - s.authCode;
  expect(reply.raw.subarray(authStart).equals(hmac(s.hash, keys.k1, reply.raw.subarray(4, authStart)).subarray(0, s.authCode))).toBe(true);
  expect((authStart - 4) % 4).toBe(0);
  const d = createDecipheriv("aes-128-cbc", keys.aesKey, reply.payload.subarray(0, 16)).setAutoPadding(false);
  const plain = Buffer.concat([d.update(reply.payload.subarray(16)), d.final()]);
  const msg = plain.subarray(0, plain.length - 1 - plain.readUInt8(plain.length - 1));
  expect(csum(msg.subarray(0, 2))).toBe(msg.readUInt8(2));
  expect(csum(msg.subarray(3, msg.length - 1))).toBe(msg.readUInt8(msg.length - 1));
  return { netFn: msg.readUInt8(1) >> 2, cmd: msg.readUInt8(5), cc: msg.readUInt8(6), data: msg.subarray(7, msg.length - 1) };
}

describe("simulated BMC: RMCP+ packet layer", () => {
  it("answers the ASF presence ping with a pong that says IPMI is supported", () => {
    const bmc = newBmc();
    const ping = Buffer.from([0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x80, 0x2a, 0x00, 0x00]);
    const pong = bmc.handleDatagram(ping);
    expect(pong?.subarray(0, 12)).toEqual(Buffer.from([0x06, 0x00, 0xff, 0x06, 0x00, 0x00, 0x11, 0xbe, 0x40, 0x2a, 0x00, 0x10]));
    expect(pong?.readUInt8(20)).toBe(0x81);
  });

  it("Get Channel Authentication Capabilities (v1.5 framing) reports IPMI v2.0 and MD5 for v1.5", () => {
    const bmc = newBmc();
    const msg = ipmiRequest(0x06, 0x38, 0, [0x8e, 0x04]);
    const v15 = Buffer.concat([Buffer.from([0x06, 0x00, 0xff, 0x07, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, msg.length]), msg]);
    const reply = bmc.handleDatagram(v15);
    expect(reply?.readUInt8(4)).toBe(0x00); // auth type none
    const rsp = reply?.subarray(14) ?? Buffer.alloc(0);
    expect(rsp.readUInt8(6)).toBe(0x00); // completion code
    expect([...rsp.subarray(7, 11)]).toEqual([0x01, 0x84, 0x04, 0x03]);
  });

  it("Get Channel Cipher Suites lists 3 and 17 as ipmitool parses them", () => {
    const reply = answer(newBmc(), v2Packet(0x00, 0, 0, ipmiRequest(0x06, 0x54, 1, [0x0e, 0x00, 0x80])));
    const data = reply.payload.subarray(7, reply.payload.length - 1);
    expect(reply.payload.readUInt8(6)).toBe(0x00);
    expect([...data]).toEqual([0x01, 0xc0, 0x03, 0x01, 0x41, 0x81, 0xc0, 0x11, 0x03, 0x44, 0x81]);
  });

  it.each([3, 17] as const)("cipher suite %i: RAKP keys match an independent computation; encrypted Get Device ID works", (suite) => {
    const bmc = newBmc();
    const hs = handshake(bmc, suite);
    if (hs.stage !== "active") throw new Error(`handshake failed at ${hs.stage}: 0x${hs.status.toString(16)}`);
    const keys = hs.keys;
    expect(keys.guid.equals(createHash("sha256").update("coolfleet-bmc:r740-unit").digest().subarray(0, 16))).toBe(true);

    // Raise to Administrator first, as ipmitool does.
    const priv = unseal(suite, keys, answer(bmc, sealed(suite, keys, 1, ipmiRequest(0x06, 0x3b, 2, [0x04]))));
    expect(priv).toMatchObject({ netFn: 0x07, cmd: 0x3b, cc: 0x00 });
    expect([...priv.data]).toEqual([0x04]);

    const devId = unseal(suite, keys, answer(bmc, sealed(suite, keys, 2, ipmiRequest(0x06, 0x01, 3))));
    expect(devId.cc).toBe(0x00);
    expect(devId.data.readUIntLE(6, 3)).toBe(674); // Dell
    expect(devId.data.readUInt8(4)).toBe(0x02); // IPMI 2.0

    // The same packet again is a replay: dropped. So is one with a flipped AuthCode bit.
    expect(bmc.handleDatagram(sealed(suite, keys, 2, ipmiRequest(0x06, 0x01, 3)))).toBeUndefined();
    const tampered = sealed(suite, keys, 3, ipmiRequest(0x06, 0x01, 4));
    tampered[tampered.length - 1] = (tampered[tampered.length - 1] ?? 0) ^ 0x01;
    expect(bmc.handleDatagram(tampered)).toBeUndefined();
    // Clear text inside an encrypted session is refused too.
    expect(bmc.handleDatagram(v2Packet(0x00, keys.sidc, 4, ipmiRequest(0x06, 0x01, 5)))).toBeUndefined();

    const close = unseal(suite, keys, answer(bmc, sealed(suite, keys, 5, ipmiRequest(0x06, 0x3c, 6, [...le32(keys.sidc)]))));
    expect(close.cc).toBe(0x00);
    expect(bmc.sessionCount()).toBe(0);
    expect(bmc.handleDatagram(sealed(suite, keys, 6, ipmiRequest(0x06, 0x01, 7)))).toBeUndefined();
  });

  it("a session starts at User privilege: the OEM fan command needs Set Session Privilege Level first", () => {
    const bmc = newBmc();
    const hs = handshake(bmc, 3);
    if (hs.stage !== "active") throw new Error("handshake failed");
    const fan = unseal(3, hs.keys, answer(bmc, sealed(3, hs.keys, 1, ipmiRequest(0x30, 0x30, 2, [0x01, 0x00]))));
    expect(fan.cc).toBe(0xd4);
    unseal(3, hs.keys, answer(bmc, sealed(3, hs.keys, 2, ipmiRequest(0x06, 0x3b, 3, [0x04]))));
    expect(unseal(3, hs.keys, answer(bmc, sealed(3, hs.keys, 3, ipmiRequest(0x30, 0x30, 4, [0x01, 0x00])))).cc).toBe(0x00);
    expect(bmc.mode()).toBe("manual");
  });

  it("a wrong password fails at RAKP 3 with 'invalid integrity check value' and leaves no session", () => {
    const bmc = newBmc();
    const hs = handshake(bmc, 17, "wrong");
    expect(hs).toMatchObject({ stage: "rakp4", status: 0x0f, bmcKnowsOurPassword: false });
    expect(bmc.sessionCount()).toBe(0);
  });

  it("an unknown user is refused at RAKP 2 (unauthorized name)", () => {
    expect(handshake(newBmc(), 3, PASSWORD, "admin")).toMatchObject({ stage: "rakp2", status: 0x0d });
  });

  it("a suite the BMC does not offer: 'no cipher suite match'", () => {
    expect(handshake(newBmc({ cipherSuites: [3] }), 17)).toMatchObject({ stage: "open", status: 0x11 });
  });

  it("malformed datagrams are dropped, not answered or thrown", () => {
    const bmc = newBmc();
    for (const junk of [Buffer.alloc(0), Buffer.from([0x06]), Buffer.from([0x05, 0, 0xff, 7, 6]), v2Packet(0x10, 0, 0, Buffer.alloc(3)).subarray(0, 17), Buffer.alloc(64, 0xff)]) {
      expect(() => bmc.handleDatagram(junk)).not.toThrow();
    }
    const badChecksum = ipmiRequest(0x06, 0x54, 1, [0x0e, 0x00, 0x80]);
    badChecksum[2] = (badChecksum[2] ?? 0) ^ 0xff;
    expect(bmc.handleDatagram(v2Packet(0x00, 0, 0, badChecksum))).toBeUndefined();
  });
});
