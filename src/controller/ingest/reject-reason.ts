import { MAX_PAYLOAD_BYTES, TOPIC_ROOT, isValidHostId, type DecodeResult } from "../../protocol/index.js";

/** Why ingest refused a message; each is counted apart so an operator sees which kind of trouble it is. */
export const REJECT_REASONS = [
  /** Not a coolfleet/v1/<host>/<kind> topic. */
  "bad_topic",
  /** A coolfleet topic of a kind the controller does not ingest (cmd is its own output). */
  "unknown_kind",
  "too_large",
  "bad_json",
  /** JSON that does not match the protocol schema (including an unknown protocol version). */
  "schema",
  /** The payload names another host than its topic: a misconfigured or misbehaving agent. */
  "host_mismatch",
  /** Telemetry refused because the store is behind by maxPending messages. */
  "overload",
  /** Arrived after close(). */
  "closed",
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

export function emptyRejectCounts(): Record<RejectReason, number> {
  return Object.fromEntries(REJECT_REASONS.map((r) => [r, 0])) as Record<RejectReason, number>;
}

/** For a topic parseTopic refused: one of ours with a kind we do not know, or not ours at all. */
export function topicRejectReason(topic: string): RejectReason {
  const parts = topic.split("/");
  const ours = parts.length === 4 && `${parts[0]}/${parts[1]}` === TOPIC_ROOT && isValidHostId(parts[2] ?? "");
  return ours ? "unknown_kind" : "bad_topic";
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; reason: RejectReason; detail: string };

/**
 * Runs a protocol decoder and, only when it fails, works out which stage failed. The decoders say why in
 * prose; classifying here keeps the hot path to one parse and does not depend on their wording.
 */
export function decodeFor<T>(decode: (payload: Buffer | string) => DecodeResult<T>, payload: Buffer | string): Decoded<T> {
  const result = decode(payload);
  if (result.ok) return result;
  return { ok: false, reason: decodeRejectReason(payload), detail: result.reason };
}

function decodeRejectReason(payload: Buffer | string): RejectReason {
  const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_PAYLOAD_BYTES) return "too_large";
  try {
    JSON.parse(typeof payload === "string" ? payload : payload.toString("utf8"));
  } catch {
    return "bad_json";
  }
  return "schema";
}
