import { closeSync, ftruncateSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { join } from "node:path";

const READ_BUF_BYTES = 4096;

/**
 * File I/O for a simulated sysfs/procfs tree.
 * Sensor files are replaced atomically (write a temp file, rename over), so a reader never sees half a value,
 * and only when their content changed. Actuator files (pwm*, fan*_output …) belong to the agent once it writes
 * them: they are never replaced, only rewritten in place, and only if nobody wrote them since they were read.
 */
export class SysfsFiles {
  private readonly written = new Map<string, string>();
  private readonly tmpPath: string;
  private readonly readBuf = Buffer.alloc(READ_BUF_BYTES);

  /** tmpDir must be on the same filesystem as the tree, and outside the directories readers list. */
  constructor(tmpDir: string) {
    mkdirSync(tmpDir, { recursive: true });
    this.tmpPath = join(tmpDir, "publish.tmp");
  }

  /** Atomically writes content at path unless it already holds exactly that from our last write. */
  publish(path: string, content: string): boolean {
    if (this.written.get(path) === content) return false;
    writeFileSync(this.tmpPath, content);
    renameSync(this.tmpPath, path);
    this.written.set(path, content);
    return true;
  }

  /** Removes a file (a dropped-out sensor); publish() recreates it. */
  remove(path: string): void {
    if (!this.written.has(path)) return;
    rmSync(path, { force: true });
    this.written.delete(path);
  }

  /** Creates an actuator file with its initial content (mode 0644 as the kernel's writable attributes). */
  createActuator(path: string, content: string): void {
    writeFileSync(path, content, { mode: 0o644 });
  }

  /**
   * Reads a file an agent may write (its first 4 KiB: more is never a valid value); undefined when it is missing.
   * One open/read/close into a reused buffer: this runs for every control file on every step.
   */
  readActuator(path: string): string | undefined {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
      throw err;
    }
    try {
      const n = readSync(fd, this.readBuf, 0, READ_BUF_BYTES, 0);
      return this.readBuf.toString("latin1", 0, n);
    } finally {
      closeSync(fd);
    }
  }

  /**
   * Rewrites an actuator file in place if it still holds `expected` (compare-and-swap, so an agent write that
   * lands after our read is not overwritten). Writes over the old bytes then truncates, so a reader never sees
   * an empty file. Returns false when the file changed under us.
   */
  rewriteActuator(path: string, content: string, expected: string): boolean {
    let fd: number;
    try {
      fd = openSync(path, "r+");
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "ENOENT") throw err;
      this.createActuator(path, content);
      return true;
    }
    try {
      const n = readSync(fd, this.readBuf, 0, READ_BUF_BYTES, 0);
      if (this.readBuf.toString("latin1", 0, n) !== expected) return false;
      const bytes = Buffer.from(content, "latin1");
      writeSync(fd, bytes, 0, bytes.length, 0);
      ftruncateSync(fd, bytes.length);
      return true;
    } finally {
      closeSync(fd);
    }
  }
}
