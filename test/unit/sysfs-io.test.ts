import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { readSysfsInteger } from "../../src/hardware/hwmon/sysfs-io.js";

const dir = scratchDir("coolfleet-sysfs-io-");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const openFds = (): number => readdirSync("/proc/self/fd").length;

describe("readSysfsInteger", () => {
  it("reads an attribute in one read: values as the kernel writes them, and a file too long to be one refused", () => {
    const file = join(dir, "temp1_input");
    writeFileSync(file, "45000\n");
    expect(readSysfsInteger(file)).toEqual({ ok: true, value: 45000 });
    writeFileSync(file, "-12000\n");
    expect(readSysfsInteger(file)).toEqual({ ok: true, value: -12000 });
    writeFileSync(file, `${"0".repeat(61)}7\n`); // 63 bytes: still one read
    expect(readSysfsInteger(file)).toEqual({ ok: true, value: 7 });
    writeFileSync(file, `${"1".repeat(80)}\n`);
    expect(readSysfsInteger(file)).toMatchObject({ ok: false, error: expect.stringMatching(/^not an integer \(64 bytes or more\)/) as unknown });
    writeFileSync(file, "");
    expect(readSysfsInteger(file)).toMatchObject({ ok: false, error: expect.stringMatching(/^not an integer \(""\)/) as unknown });
  });

  it("closes what it opens, on every path: values, refusals, a directory (EISDIR), a missing file", () => {
    const file = join(dir, "fan1_input");
    writeFileSync(file, "1200\n");
    const long = join(dir, "long");
    writeFileSync(long, "9".repeat(100));
    const directory = join(dir, "hwmon0");
    mkdirSync(directory);
    const before = openFds();
    for (let i = 0; i < 2_000; i++) {
      expect(readSysfsInteger(file).ok).toBe(true);
      expect(readSysfsInteger(long).ok).toBe(false);
      expect(readSysfsInteger(directory)).toMatchObject({ ok: false, code: "EISDIR" });
      expect(readSysfsInteger(join(dir, "absent"))).toMatchObject({ ok: false, code: "ENOENT" });
    }
    expect(openFds()).toBe(before);
  });
});
