import { z } from "zod";

/**
 * The SMC helper protocol, version 1: JSON lines over a Unix stream socket (docs/mac.md). The agent (unprivileged)
 * asks a small root helper to read SMC keys and to force fan speeds under a lease; the simulator speaks the same.
 */
export const SMC_PROTOCOL_VERSION = 1;

/** The SMC's marker for "no valid reading" on a temperature key. */
export const SMC_INVALID_TEMP_C = 129;

/** Longest line either side accepts; a peer sending more is broken or hostile. */
export const SMC_MAX_LINE_BYTES = 64 * 1024;

/** Four characters, as SMC keys are ("TC0P", "F0Ac", "FS! "). */
export const SmcKey = z.string().regex(/^[\x20-\x7e]{4}$/, "an SMC key is exactly 4 printable ASCII characters");

const requestId = z.number().int().nonnegative();

export const SmcRequest = z.discriminatedUnion("op", [
  z.object({ id: requestId, op: z.literal("hello") }).strict(),
  z.object({ id: requestId, op: z.literal("readFans") }).strict(),
  z.object({ id: requestId, op: z.literal("readTemps"), keys: z.array(SmcKey).min(1).max(64) }).strict(),
  z.object({ id: requestId, op: z.literal("takeControl"), leaseMs: z.number().int().min(1000).max(600_000) }).strict(),
  z.object({ id: requestId, op: z.literal("setFans"), pct: z.number().min(0).max(100) }).strict(),
  z.object({ id: requestId, op: z.literal("release") }).strict(),
]);
export type SmcRequest = z.infer<typeof SmcRequest>;
export type SmcOp = SmcRequest["op"];

/**
 * How the helper forces fans: "t2" writes F{n}Md=1 and F{n}Tg (float) — Mac Pro 2019 and other T2 Intel Macs;
 * "fs-bitmask" sets bit n of "FS! " and F{n}Tg (fpe2) — older Intel Macs.
 */
export const ForceScheme = z.enum(["t2", "fs-bitmask"]);
export type ForceScheme = z.infer<typeof ForceScheme>;

export const FanLimits = z.object({ index: z.number().int().nonnegative(), minRpm: z.number().nonnegative(), maxRpm: z.number().positive() });
export type FanLimits = z.infer<typeof FanLimits>;

export const HelloResult = z.object({
  protocol: z.literal(SMC_PROTOCOL_VERSION),
  helper: z.string(),
  /** hw.model, e.g. "MacPro7,1". */
  model: z.string(),
  forceScheme: ForceScheme,
  fans: z.array(FanLimits),
  /** Temperature keys this machine has, for agents configured without a list. */
  tempKeys: z.array(SmcKey),
  /** The longest lease the helper grants. */
  maxLeaseMs: z.number().int().positive(),
});
export type HelloResult = z.infer<typeof HelloResult>;

export const FanStatus = FanLimits.extend({
  actualRpm: z.number().nonnegative(),
  targetRpm: z.number().nonnegative(),
  mode: z.enum(["auto", "forced"]),
});
export type FanStatus = z.infer<typeof FanStatus>;

export const ReadFansResult = z.object({ fans: z.array(FanStatus) });
/** Raw SMC values in °C; null for a key the machine does not have. 129 (invalid) is passed through untouched. */
export const ReadTempsResult = z.object({ temps: z.record(SmcKey, z.number().nullable()) });
export const TakeControlResult = z.object({ leaseMs: z.number().int().positive() });
export const SetFansResult = z.object({ targetRpm: z.array(z.number().nonnegative()) });
export const ReleaseResult = z.object({ restored: z.boolean() });

export const RESULT_SCHEMAS = {
  hello: HelloResult,
  readFans: ReadFansResult,
  readTemps: ReadTempsResult,
  takeControl: TakeControlResult,
  setFans: SetFansResult,
  release: ReleaseResult,
} as const;
export type SmcResult<Op extends SmcOp> = z.infer<(typeof RESULT_SCHEMAS)[Op]>;

/**
 * bad_request: not valid JSON or not a valid request; unknown_op; no_lease: setFans without holding the lease;
 * lease_held: another client holds it; smc_error: the SMC refused a read or write.
 */
export const SMC_ERROR_CODES = ["bad_request", "unknown_op", "no_lease", "lease_held", "smc_error"] as const;
export const SmcErrorCode = z.enum(SMC_ERROR_CODES);
export type SmcErrorCode = z.infer<typeof SmcErrorCode>;

export const SmcResponse = z.union([
  z.object({ id: requestId, ok: z.literal(true), result: z.unknown() }).strict(),
  z.object({ id: requestId.nullable(), ok: z.literal(false), error: z.object({ code: SmcErrorCode, message: z.string() }).strict() }).strict(),
]);
export type SmcResponse = z.infer<typeof SmcResponse>;

/** One message as a line on the wire. */
export function encodeSmcLine(message: SmcRequest | SmcResponse): string {
  return `${JSON.stringify(message)}\n`;
}
