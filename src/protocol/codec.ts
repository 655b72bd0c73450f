import type { z } from "zod";
import { Ack, Command, HostState, Telemetry } from "./schemas.js";

export type DecodeResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/** Largest payload any receiver will parse; anything larger is rejected unread. */
export const MAX_PAYLOAD_BYTES = 64 * 1024;

function decodeWith<T>(schema: z.ZodType<T>, payload: Buffer | string): DecodeResult<T> {
  const size = typeof payload === "string" ? Buffer.byteLength(payload) : payload.length;
  if (size > MAX_PAYLOAD_BYTES) return { ok: false, reason: `payload too large (${size} bytes > ${MAX_PAYLOAD_BYTES})` };
  let json: unknown;
  try {
    json = JSON.parse(typeof payload === "string" ? payload : payload.toString("utf8"));
  } catch {
    return { ok: false, reason: "payload is not JSON" };
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return { ok: false, reason: `${where}: ${issue?.message ?? "invalid"}` };
  }
  return { ok: true, value: parsed.data };
}

export const decodeTelemetry = (p: Buffer | string): DecodeResult<Telemetry> => decodeWith(Telemetry, p);
export const decodeHostState = (p: Buffer | string): DecodeResult<HostState> => decodeWith(HostState, p);
export const decodeCommand = (p: Buffer | string): DecodeResult<Command> => decodeWith(Command, p);
export const decodeAck = (p: Buffer | string): DecodeResult<Ack> => decodeWith(Ack, p);

export function encode(message: Telemetry | HostState | Command | Ack): string {
  return JSON.stringify(message);
}
