#!/usr/bin/env node
// Makes sure the programs the test suite talks to are installed. As root on Debian it installs what is
// missing; otherwise it prints the exact command to run and exits non-zero, so no test is skipped silently.
import { execFileSync, spawnSync } from "node:child_process";

/** binary → Debian package that provides it */
const REQUIRED = [
  { bin: "mosquitto", pkg: "mosquitto", why: "MQTT broker for the integration tests" },
  { bin: "chromium", pkg: "chromium", why: "headless browser for the dashboard end-to-end test" },
  { bin: "ipmitool", pkg: "ipmitool", why: "the real IPMI client, run against the simulated BMC" },
  { bin: "socat", pkg: "socat", why: "virtual serial port pairs (ptys) for the Modbus tests" },
  { bin: "mbpoll", pkg: "mbpoll", why: "a real Modbus RTU master, run against the simulated CDU" },
  { bin: "/usr/bin/python3 -c 'import pymodbus'", pkg: "python3-pymodbus", why: "a second real Modbus client (pymodbus)" },
  // Only a Recommends of python3-pymodbus, which --no-install-recommends leaves out; its serial client needs it.
  { bin: "/usr/bin/python3 -c 'import serial_asyncio'", pkg: "python3-serial-asyncio", why: "pymodbus's serial (RTU) client" },
  { bin: "systemd-analyze", pkg: "systemd", why: "verifies the units and rates their security exposure" },
  { bin: "systemd-notify", pkg: "systemd", why: "the agent's and controller's readiness and watchdog messages" },
  { bin: "/usr/bin/python3 --version", pkg: "python3", why: "receives sd_notify datagrams in the service tests" },
];

/** A bare name is looked up on PATH (and in /usr/sbin); anything with a space is run as a check command. */
function has(bin) {
  const check = bin.includes(" ") ? bin : `command -v ${bin} || test -x /usr/sbin/${bin}`;
  return spawnSync("sh", ["-c", check], { stdio: "ignore" }).status === 0;
}

const missing = REQUIRED.filter((r) => !has(r.bin));
if (missing.length === 0) process.exit(0);

const pkgs = [...new Set(missing.map((m) => m.pkg))];
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const hasApt = spawnSync("sh", ["-c", "command -v apt-get"], { stdio: "ignore" }).status === 0;

if (isRoot && hasApt) {
  console.log(`test prerequisites: installing ${pkgs.join(" ")} (${missing.map((m) => m.why).join("; ")})`);
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", ...pkgs], { stdio: "inherit", env });
  const still = missing.filter((r) => !has(r.bin));
  if (still.length > 0) {
    console.error(`test prerequisites: still missing after install: ${still.map((s) => s.bin).join(", ")}`);
    process.exit(1);
  }
  process.exit(0);
}

console.error("The test suite needs programs that are not installed:");
for (const m of missing) console.error(`  ${m.pkg}  (${m.why})`);
console.error(`Install them, then run npm test again:\n  sudo apt-get install -y ${pkgs.join(" ")}`);
process.exit(1);
