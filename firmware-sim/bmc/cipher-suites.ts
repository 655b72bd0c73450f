/**
 * RMCP+ algorithms and cipher suites (IPMI v2.0 tables 13-17..13-19 and 22-20, with the SHA-256 additions
 * of the errata). The BMC accepts exactly the algorithm triples of the suites it advertises.
 */
export const AuthAlgorithm = { None: 0x00, HmacSha1: 0x01, HmacMd5: 0x02, HmacSha256: 0x03 } as const;
export const IntegrityAlgorithm = { None: 0x00, HmacSha1_96: 0x01, HmacMd5_128: 0x02, Md5_128: 0x03, HmacSha256_128: 0x04 } as const;
export const ConfidentialityAlgorithm = { None: 0x00, AesCbc128: 0x01 } as const;

export type HashName = "sha1" | "sha256";

export interface CipherSuite {
  id: number;
  auth: number;
  integrity: number;
  confidentiality: number;
}

/** The suites this BMC implements: SHA-1 (1–3) and SHA-256 (15–17) families; no MD5, no RC4, no suite 0. */
export const SUPPORTED_CIPHER_SUITES: readonly CipherSuite[] = [
  { id: 1, auth: AuthAlgorithm.HmacSha1, integrity: IntegrityAlgorithm.None, confidentiality: ConfidentialityAlgorithm.None },
  { id: 2, auth: AuthAlgorithm.HmacSha1, integrity: IntegrityAlgorithm.HmacSha1_96, confidentiality: ConfidentialityAlgorithm.None },
  { id: 3, auth: AuthAlgorithm.HmacSha1, integrity: IntegrityAlgorithm.HmacSha1_96, confidentiality: ConfidentialityAlgorithm.AesCbc128 },
  { id: 15, auth: AuthAlgorithm.HmacSha256, integrity: IntegrityAlgorithm.None, confidentiality: ConfidentialityAlgorithm.None },
  { id: 16, auth: AuthAlgorithm.HmacSha256, integrity: IntegrityAlgorithm.HmacSha256_128, confidentiality: ConfidentialityAlgorithm.None },
  { id: 17, auth: AuthAlgorithm.HmacSha256, integrity: IntegrityAlgorithm.HmacSha256_128, confidentiality: ConfidentialityAlgorithm.AesCbc128 },
];

/** What an iDRAC ships enabled by default: suites 3 and 17 only. */
export const DEFAULT_CIPHER_SUITE_IDS: readonly number[] = [3, 17];

export function findSuite(ids: readonly number[], auth: number, integrity: number, confidentiality: number): CipherSuite | undefined {
  return SUPPORTED_CIPHER_SUITES.find(
    (s) => ids.includes(s.id) && s.auth === auth && s.integrity === integrity && s.confidentiality === confidentiality,
  );
}

export function suitesById(ids: readonly number[]): CipherSuite[] {
  return SUPPORTED_CIPHER_SUITES.filter((s) => ids.includes(s.id));
}

/** Hash behind a RAKP authentication algorithm (also keys K1/K2 and the SIK). */
export function authHash(auth: number): HashName {
  if (auth === AuthAlgorithm.HmacSha1) return "sha1";
  if (auth === AuthAlgorithm.HmacSha256) return "sha256";
  throw new RangeError(`RAKP authentication algorithm 0x${auth.toString(16)} is not implemented`);
}

/** Bytes of the RAKP 4 integrity check value: HMAC-SHA1 truncated to 96 bits, HMAC-SHA256 to 128. */
export function rakp4IcvBytes(auth: number): number {
  return authHash(auth) === "sha1" ? 12 : 16;
}

/** Hash and AuthCode length of a session integrity algorithm, or undefined for none. */
export function integrityHash(integrity: number): { hash: HashName; authCodeBytes: number } | undefined {
  if (integrity === IntegrityAlgorithm.None) return undefined;
  if (integrity === IntegrityAlgorithm.HmacSha1_96) return { hash: "sha1", authCodeBytes: 12 };
  if (integrity === IntegrityAlgorithm.HmacSha256_128) return { hash: "sha256", authCodeBytes: 16 };
  throw new RangeError(`integrity algorithm 0x${integrity.toString(16)} is not implemented`);
}

/** Cipher suite records for Get Channel Cipher Suites (table 22-19): C0h, id, then the tagged algorithms. */
export function cipherSuiteRecords(ids: readonly number[]): Buffer {
  const records = suitesById(ids).map((s) => [0xc0, s.id, 0x00 | s.auth, 0x40 | s.integrity, 0x80 | s.confidentiality]);
  return Buffer.from(records.flat());
}
