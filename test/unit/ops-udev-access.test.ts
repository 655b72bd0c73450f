import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { userInfo, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

/** systemd/coolfleet-hwmon-access, which the udev rule runs for each hwmon device: which files it opens up. */
const dir = mkdtempSync(join(tmpdir(), "coolfleet-udev-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const groupWritable = (file: string): boolean => (statSync(file).mode & 0o020) !== 0;

describe("coolfleet-hwmon-access (udev)", () => {
  it("makes the fan and pump control files group-writable, and nothing else", () => {
    const hwmon = join(dir, "hwmon3");
    mkdirSync(join(hwmon, "device"), { recursive: true });
    const files = ["pwm1", "pwm1_enable", "pwm12", "pwm12_enable", "pwm1_mode", "pwm1_auto_point1_pwm", "temp1_input", "fan1_input", "name", "device/fan1_manual", "device/fan1_output", "device/fan1_min"];
    for (const f of files) writeFileSync(join(hwmon, f), "0\n", { mode: 0o644 });
    // The group the test runs as stands in for coolfleet.
    const group = spawnSync("id", ["-gn"], { encoding: "utf8" }).stdout.trim() || userInfo().username;
    const run = spawnSync("sh", ["systemd/coolfleet-hwmon-access", hwmon], { env: { ...process.env, COOLFLEET_GROUP: group }, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const opened = files.filter((f) => groupWritable(join(hwmon, f)));
    expect(opened).toEqual(["pwm1", "pwm1_enable", "pwm12", "pwm12_enable", "device/fan1_manual", "device/fan1_output"]);
  });
});
