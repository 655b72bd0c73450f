import type { SmcErrorCode } from "./protocol.js";

/**
 * Why a helper request failed: the helper said so (one of the protocol's codes), or the client gave up:
 * timeout (no reply in time), disconnected (no socket, or it closed), protocol (a reply that breaks the protocol).
 */
export type SmcFailure = SmcErrorCode | "timeout" | "disconnected" | "protocol";

export class SmcHelperError extends Error {
  constructor(
    readonly failure: SmcFailure,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "SmcHelperError";
  }
}

export function isSmcHelperError(err: unknown, failure?: SmcFailure): err is SmcHelperError {
  return err instanceof SmcHelperError && (failure === undefined || err.failure === failure);
}
