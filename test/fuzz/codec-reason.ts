import { MAX_PAYLOAD_BYTES } from "../../src/protocol/index.js";

/** What the codec's prose reasons can mean; anything else is a decoder failing in a way nobody planned for. */
export const CODEC_REASONS = ["too_large", "bad_json", "schema"] as const;

export function codecReason(reason: string): (typeof CODEC_REASONS)[number] | undefined {
  if (new RegExp(`^payload too large \\(\\d+ bytes > ${MAX_PAYLOAD_BYTES}\\)$`).test(reason)) return "too_large";
  if (reason === "payload is not JSON") return "bad_json";
  // "<dotted path or (root)>: <zod message>"
  if (/^[^\n]*?: \S/.test(reason)) return "schema";
  return undefined;
}
