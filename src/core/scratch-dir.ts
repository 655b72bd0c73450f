import { accessSync, constants, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A fresh directory for a simulated host tree: on tmpfs (/dev/shm) when there is one, because the simulator
 * replaces files every step and on a disk filesystem each replacement costs a journal write.
 */
export function scratchDir(prefix: string): string {
  let base = tmpdir();
  try {
    accessSync("/dev/shm", constants.W_OK);
    base = "/dev/shm";
  } catch {
    // no writable tmpfs: the system temp dir works, only slower
  }
  return mkdtempSync(join(base, prefix));
}
