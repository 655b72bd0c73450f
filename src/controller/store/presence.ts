import type { HostState } from "../../protocol/index.js";

/** The presence a store holds for a host: which boot, since which agent timestamp, online or not. */
export interface Presence {
  online: boolean;
  boot: string | undefined;
  presenceTsMs: number | undefined;
}

/**
 * Whether a birth or offline message should replace the presence in force. Backend-agnostic, so every store
 * applies the same rules:
 * - an offline state counts only for the boot in force: a Last Will of an earlier boot that the broker
 *   publishes late (a session taken over, a will delay) must not take a restarted host offline;
 * - a birth of another boot always wins (a restarted agent); a birth of the same boot wins only when it is
 *   newer than the presence in force, so a redelivered birth cannot undo that boot's later offline state.
 */
export function presenceApplies(current: Presence | undefined, message: HostState): boolean {
  if (current?.presenceTsMs === undefined) return true;
  if (!message.online) return message.boot === current.boot;
  if (message.boot !== current.boot) return true;
  return message.ts > current.presenceTsMs || (message.ts === current.presenceTsMs && current.online);
}
