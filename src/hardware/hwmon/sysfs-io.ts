import { closeSync, openSync, readFileSync, readSync, writeFileSync } from "node:fs";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";

export type SysfsValue = { ok: true; value: number } | { ok: false; error: string; code?: string };

const INTEGER = /^-?\d+$/;

/**
 * One read of this many bytes takes a whole integer attribute: the kernel fills a sysfs read from its show()
 * in one go, and no integer it writes comes near this long. A file that fills it is not an integer attribute.
 */
const INTEGER_READ_BYTES = 64;
const integerBuffer = Buffer.alloc(INTEGER_READ_BYTES);

/**
 * Reads one integer attribute. Never throws: a sensor that vanished (ENOENT), a chip that answers EIO or
 * ENODATA, or content that is not an integer all come back as { ok: false } so one bad file cannot stop a sweep.
 * Synchronous on purpose: these are tiny kernel-generated files and the whole sweep has a budget of a few ms.
 * Open, one read, close: readFileSync would also stat the file and read again to find its end, for every sensor
 * every second.
 */
export function readSysfsInteger(file: string): SysfsValue {
  let text: string;
  let fd: number | undefined;
  try {
    fd = openSync(file, "r");
    const bytes = readSync(fd, integerBuffer, 0, INTEGER_READ_BYTES, 0);
    if (bytes === INTEGER_READ_BYTES) return { ok: false, error: `not an integer (${INTEGER_READ_BYTES} bytes or more): ${file}` };
    text = integerBuffer.toString("latin1", 0, bytes).trim();
  } catch (err) {
    const code = errnoCode(err);
    return { ok: false, error: `${code ?? "read failed"}: ${file}`, code };
  } finally {
    if (fd !== undefined) closeQuietly(fd);
  }
  if (!INTEGER.test(text)) return { ok: false, error: `not an integer (${JSON.stringify(text.slice(0, 32))}): ${file}` };
  const value = Number(text);
  // 400 digits are an integer to the pattern but Infinity to Number(): no kernel writes that.
  if (!Number.isFinite(value)) return { ok: false, error: `integer out of range (${JSON.stringify(text.slice(0, 32))}…): ${file}` };
  return { ok: true, value };
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // Nothing was written through it: a failing close loses nothing.
  }
}

/** Reads a small text attribute (name, label), trimmed; undefined when it cannot be read. */
export function readSysfsText(file: string): string | undefined {
  try {
    return readFileSync(file, "latin1").trim();
  } catch {
    return undefined;
  }
}

/** Reads an attribute the caller must have, e.g. the value to restore later; throws HwmonWriteFailed naming the file. */
export function readSysfsRequired(file: string, purpose: string): string {
  try {
    return readFileSync(file, "latin1").trim();
  } catch (err) {
    throw new CoolfleetError(
      ErrorCode.HwmonWriteFailed,
      `could not read ${file} (${purpose}): ${errnoCode(err) ?? String(err)}`,
      { cause: err },
    );
  }
}

/** Writes one attribute synchronously; throws HwmonWriteFailed naming the file and what to check. */
export function writeSysfs(file: string, text: string): void {
  try {
    writeFileSync(file, text);
  } catch (err) {
    const code = errnoCode(err);
    const hint =
      code === "EACCES" || code === "EPERM"
        ? " (the agent needs root, or a udev rule giving its user write access to this file)"
        : code === "EINVAL"
          ? " (the driver refused the value)"
          : "";
    throw new CoolfleetError(ErrorCode.HwmonWriteFailed, `could not write ${text} to ${file}: ${code ?? String(err)}${hint}`, {
      cause: err,
    });
  }
}

export function errnoCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err && typeof err.code === "string") return err.code;
  return undefined;
}
