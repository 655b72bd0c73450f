import { spawn, spawnSync } from "node:child_process";
import { release } from "node:os";
import { chmodSync, cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { SimFleet } from "../../firmware-sim/index.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";
import { ManualClock } from "../../src/core/clock.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { cliEntry, waitFor } from "../helpers/cli.js";

/**
 * The shipped units pass `systemd-analyze verify`, rate at most 2.5 in `systemd-analyze security --offline`, and
 * the agent's node flags survive MemoryDenyWriteExecute= (emulated with the kernel's PR_SET_MDWE, same rule).
 */

const UNITS = ["coolfleet-agent.service", "coolfleet-controller.service"] as const;
const MAX_EXPOSURE = 2.5;
const INSTALL_SYSTEMD = "systemd-analyze is missing: sudo apt-get install -y systemd (the tests need systemd ≥ 252 for --offline)";

/** [Service] (and other sections') settings of a unit file; repeated keys keep every value in order. */
function unitSettings(file: string): Map<string, string[]> {
  const settings = new Map<string, string[]>();
  for (const raw of readFileSync(file, "utf8").split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";") || line.startsWith("[")) continue;
    const eq = line.indexOf("=");
    const key = line.slice(0, eq);
    settings.set(key, [...(settings.get(key) ?? []), line.slice(eq + 1)]);
  }
  return settings;
}

function systemdAnalyze(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync("systemd-analyze", args, { encoding: "utf8" });
  if (result.error) throw new Error(INSTALL_SYSTEMD);
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A throw-away root holding the distribution's units, ours, and a stand-in for every program our units execute. */
function verifyRoot(): string {
  const root = scratchDir("coolfleet-units-");
  const systemUnits = ["/usr/lib/systemd/system", "/lib/systemd/system"].find((d) => existsSync(d));
  if (!systemUnits) throw new Error("no /usr/lib/systemd/system: install systemd (sudo apt-get install -y systemd)");
  mkdirSync(join(root, "usr/lib/systemd"), { recursive: true });
  cpSync(systemUnits, join(root, "usr/lib/systemd/system"), { recursive: true });
  mkdirSync(join(root, "etc/systemd/system"), { recursive: true });
  for (const unit of UNITS) {
    cpSync(join("systemd", unit), join(root, "etc/systemd/system", unit));
    for (const key of ["ExecStart", "ExecStopPost"]) {
      for (const command of unitSettings(join("systemd", unit)).get(key) ?? []) {
        const program = command.replace(/^[-@:+!]+/, "").split(/\s+/)[0]!;
        mkdirSync(join(root, dirname(program)), { recursive: true });
        writeFileSync(join(root, program), "#!/bin/sh\n");
        chmodSync(join(root, program), 0o755);
      }
    }
  }
  return root;
}

let dir: string;
beforeAll(() => {
  dir = scratchDir("coolfleet-ops-systemd-");
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe("systemd units (ops)", () => {
  it("systemd-analyze is installed and supports --offline (systemd ≥ 252)", () => {
    const { stdout } = systemdAnalyze(["--version"]);
    const version = Number(/systemd (\d+)/.exec(stdout)?.[1]);
    console.log(`systemd-analyze: ${stdout.split("\n")[0]}`);
    expect(version, INSTALL_SYSTEMD).toBeGreaterThanOrEqual(252);
  });

  it("both units pass systemd-analyze verify without a warning", () => {
    const root = verifyRoot();
    try {
      const result = systemdAnalyze(["verify", "--man=no", "--generators=no", `--root=${root}`, ...UNITS]);
      expect(`${result.stdout}${result.stderr}`.trim(), "systemd-analyze verify output").toBe("");
      expect(result.status).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it.each(UNITS)(`%s rates at most ${MAX_EXPOSURE} in systemd-analyze security --offline`, (unit) => {
    const result = systemdAnalyze(["security", "--offline=yes", join("systemd", unit)]);
    const match = /Overall exposure level for .*?: (\d+(?:\.\d+)?) (\S+)/.exec(result.stdout);
    expect(match, `${result.stdout}${result.stderr}`).not.toBeNull();
    const exposure = Number(match![1]);
    const open = result.stdout.split("\n").filter((l) => l.startsWith("✗")).map((l) => `    ${l.replace(/\s{2,}/g, "  ")}`);
    console.log(`${unit}: exposure ${exposure} ${match![2]}\n${open.join("\n")}`);
    expect(exposure).toBeLessThanOrEqual(MAX_EXPOSURE);
  });

  it("agent unit: Type=notify with a watchdog, bounded restarts, and ExecStopPost hands the fans back", () => {
    const agent = unitSettings("systemd/coolfleet-agent.service");
    expect(agent.get("Type")).toEqual(["notify"]);
    expect(agent.get("NotifyAccess")).toEqual(["all"]);
    expect(agent.get("WatchdogSec")).toEqual(["30"]);
    expect(agent.get("Restart")).toEqual(["on-failure"]);
    expect(Number(agent.get("StartLimitBurst")?.[0])).toBeGreaterThan(0);
    expect(agent.get("ExecStopPost")).toEqual(["/usr/bin/coolfleet agent --config /etc/coolfleet/agent.yaml --restore-firmware"]);
    expect(agent.get("ExecStart")?.[0]).toMatch(/^\/usr\/bin\/node --max-semi-space-size=1 --v8-pool-size=1 .* agent --config \/etc\/coolfleet\/agent\.yaml$/);
  });
});

describe("launchd property lists (macOS)", () => {
  it.each(["com.coolfleet.agent.plist", "com.coolfleet.smc-helper.plist"])("%s is a valid plist whose Label matches its name", (name) => {
    // python3's plistlib reads property lists as launchd does (plutil is macOS-only).
    const read = spawnSync("python3", ["-c", "import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], 'rb'))))", join("systemd", name)], { encoding: "utf8" });
    expect(read.status, read.stderr).toBe(0);
    const plist = JSON.parse(read.stdout) as { Label: string; ProgramArguments: string[]; KeepAlive: unknown };
    expect(`${plist.Label}.plist`).toBe(name);
    expect(plist.ProgramArguments.length).toBeGreaterThan(0);
    expect(plist.KeepAlive).toBeTruthy();
  });
});

/** The node options the agent unit runs with: NODE_OPTIONS from Environment= plus the flags in ExecStart. */
function agentNodeFlags(): { nodeOptions: string; execFlags: string[] } {
  const agent = unitSettings("systemd/coolfleet-agent.service");
  const nodeOptions = (agent.get("Environment") ?? []).map((e) => /^NODE_OPTIONS=(.*)$/.exec(e)?.[1]).find((v) => v !== undefined) ?? "";
  const words = (agent.get("ExecStart")?.[0] ?? "").split(/\s+/).slice(1);
  const script = words.findIndex((w) => !w.startsWith("-"));
  const execFlags = words.slice(0, script);
  return { nodeOptions, execFlags };
}

// PR_SET_MDWE (Linux ≥ 6.3) refuses, like systemd's MemoryDenyWriteExecute= filter, memory that becomes executable.
const MDWE_WRAPPER = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0:
    print("PR_SET_MDWE unavailable: errno %d" % ctypes.get_errno(), file=sys.stderr)
    sys.exit(97)
os.execv(sys.argv[1], sys.argv[1:])
`;

function mdweSupported(): boolean {
  return spawnSync("python3", ["-c", MDWE_WRAPPER, "/bin/true"]).status === 0;
}

function underMdwe(args: string[], env: Record<string, string>) {
  const child = spawn("python3", ["-c", MDWE_WRAPPER, process.execPath, ...args], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
  let text = "";
  child.stdout.on("data", (c: Buffer) => (text += c.toString()));
  child.stderr.on("data", (c: Buffer) => (text += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once("exit", (code, signal) => resolve({ code, signal })));
  return { child, output: () => text, exited };
}

describe("agent unit under MemoryDenyWriteExecute (kernel PR_SET_MDWE)", () => {
  it("this kernel can emulate MemoryDenyWriteExecute (PR_SET_MDWE, Linux ≥ 6.3)", () => {
    expect(mdweSupported(), `kernel ${release()} lacks PR_SET_MDWE: run these tests on Linux 6.3 or later`).toBe(true);
  });

  it("a JIT-ing node is killed by it — the emulation bites", async () => {
    const run = underMdwe(["-e", "let s = 0; for (let i = 0; i < 1e7; i++) s += i; console.log(s)"], { NODE_OPTIONS: "" });
    const exit = await run.exited;
    expect(exit.code === 0 && exit.signal === null, run.output()).toBe(false);
  });

  it("the agent with the unit's node flags controls, then --restore-firmware hands back, under MDWE", async () => {
    const { nodeOptions, execFlags } = agentNodeFlags();
    expect(nodeOptions).toContain("--jitless");
    const fleet = new SimFleet({ hosts: 1, root: join(dir, "mdwe"), seed: 2, clock: new ManualClock() });
    fleet.stepAll(1);
    const device = fleet.host(fleet.hostIds[0]!);
    const config = simAgentConfig("poweredge-r740-air", { hostId: "mdwe-1", root: device.root, brokerUrl: "mqtt://127.0.0.1:9", periodMs: 100 });
    const configFile = join(dir, "mdwe.yaml");
    writeFileSync(configFile, stringify(config));
    const chipDir = device.chips().find((c) => c.name === "nct6798")!.hwmonDir;
    const enable = (): string[] => config.fans.channels.map((c) => readFileSync(join(chipDir, `pwm${c}_enable`), "utf8").trim());
    const env = { NODE_OPTIONS: nodeOptions };

    const agent = underMdwe([...execFlags, cliEntry(), "agent", "--config", configFile, "--log-level", "info"], env);
    try {
      await waitFor("manual fan control", () => enable().every((v) => v === "1"), 15_000);
      // 3 s of 100 ms periods: plenty of chances for V8 to want executable memory if it were going to.
      await new Promise((r) => setTimeout(r, 3000));
      expect(agent.child.exitCode, agent.output()).toBeNull();
      agent.child.kill("SIGKILL");
      await agent.exited;
      const restore = underMdwe([cliEntry(), "agent", "--config", configFile, "--restore-firmware"], env);
      expect(await restore.exited, restore.output()).toEqual({ code: 0, signal: null });
      expect(enable()).toEqual(config.fans.channels.map(() => "2"));
    } finally {
      agent.child.kill("SIGKILL");
    }
  });
});
