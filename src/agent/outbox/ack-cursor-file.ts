import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const CURSOR_FILE = "acked.json";

/** What survives a restart about acknowledgements: the acknowledged id ranges and the next id to hand out. */
export interface AckCursor {
  nextId: number;
  acked: [number, number][];
}

/** Written to a temporary file and renamed over the old one, so a crash leaves the old or the new cursor, never half of one. */
export function writeAckCursor(dir: string, cursor: AckCursor): void {
  const path = join(dir, CURSOR_FILE);
  const temporary = `${path}.tmp`;
  writeFileSync(temporary, JSON.stringify({ v: 1, ...cursor }));
  renameSync(temporary, path);
}

/**
 * The persisted cursor; undefined when there is none. A damaged one is reported through onDamaged and treated as
 * none: every message on disk is then sent again, which the controller absorbs by (host, boot, seq).
 */
export function readAckCursor(dir: string, onDamaged: (reason: string) => void): AckCursor | undefined {
  let text: string;
  try {
    text = readFileSync(join(dir, CURSOR_FILE), "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
  try {
    const parsed = JSON.parse(text) as { v?: unknown; nextId?: unknown; acked?: unknown };
    const acked = parsed.acked;
    if (parsed.v !== 1 || !Number.isSafeInteger(parsed.nextId) || !Array.isArray(acked)) throw new Error("unexpected shape");
    const ranges = acked.filter((r): r is [number, number] => Array.isArray(r) && r.length === 2 && r.every((n) => Number.isSafeInteger(n)));
    return { nextId: parsed.nextId as number, acked: ranges };
  } catch (err) {
    onDamaged(err instanceof Error ? err.message : String(err));
    return undefined;
  }
}
