import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { loadProfile, SimFleet, SimHost, SimulatedLiquidPowerEdge } from "../../firmware-sim/index.js";
import { SimulatedSmc, SimulatedSmcHelper } from "../../firmware-sim/smc/index.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";
import { ManualClock, SystemClock } from "../../src/core/clock.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { runCli } from "../helpers/cli.js";
import { liquidAgentConfig } from "../helpers/liquid-agent-config.js";
import { startPtyPair, type PtyPair } from "../helpers/pty-pair.js";

/**
 * `coolfleet agent --list-sensors`, the command a user runs to find the ids for `temperatures[].match`: it must show
 * every bus the config names, not only sysfs, with values, and leave every fan and pump where the firmware has it.
 */

const HOST_ID = "r750-list";
const dir = scratchDir("coolfleet-list-sensors-");
const clock = new SystemClock();
const device = new SimulatedLiquidPowerEdge({ hostId: HOST_ID, seed: 4, clock, password: "calvin" });
let pty: PtyPair;
let bmcPort: number;
let stepping: NodeJS.Timeout | undefined;

async function listSensors(config: object): Promise<{ code: number | null; lines: string[]; output: string }> {
  const file = join(dir, `agent-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, stringify(config));
  const run = runCli(["agent", "--config", file, "--list-sensors", "--log-level", "warn"]);
  const { code } = await run.exited;
  const output = run.output();
  return { code, output, lines: output.split("\n").filter((l) => l.includes("\t")) };
}

function line(lines: string[], id: string): string[] {
  const found = lines.find((l) => l.startsWith(`${id}\t`));
  if (!found) throw new Error(`no ${id} in:\n${lines.join("\n")}`);
  return found.split("\t");
}

beforeAll(async () => {
  pty = await startPtyPair();
  for (let i = 0; i < 20; i++) device.step(1, { cpuUtil: 0.8, diskMBps: 10, inletC: 25 });
  ({ bmcPort } = await device.start(pty.b));
  stepping = setInterval(() => device.step(1, { cpuUtil: 0.8, diskMBps: 10, inletC: 25 }), 250);
}, 30_000);

afterAll(async () => {
  if (stepping) clearInterval(stepping);
  await device.stop();
  await pty.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe("coolfleet agent --list-sensors", () => {
  it("lists the BMC's and the coolant unit's sensors with values, and takes over neither fans nor pump", async () => {
    const config = liquidAgentConfig({ dir, hostId: HOST_ID, brokerUrl: "mqtt://127.0.0.1:1", bmcPort, serialPort: pty.a });
    const { code, lines, output } = await listSensors(config);
    expect(code, output).toBe(0);
    const [, kind, value] = line(lines, "ipmi:Temp@3.1");
    expect(kind).toBe("temperature");
    expect(Number.parseFloat(value!)).toBeGreaterThan(20);
    expect(line(lines, "ipmi:Exhaust Temp")[1]).toBe("temperature");
    expect(Number.parseFloat(line(lines, "cdu:coolant_supply_temp")[2]!)).toBeGreaterThan(10);
    expect(line(lines, "cdu:flow")[1]).toBe("flow");
    expect(lines.some((l) => /^ipmi:.*\tfan\t\d+ rpm$/.test(l))).toBe(true);
    expect(device.bmc.mode()).toBe("auto");
    expect(device.bmc.lastModeChange()).toBeUndefined(); // not even a manual-on
    expect(device.cdu.mode()).not.toMatch(/manual/i);
    expect(device.bmc.sessionCount()).toBe(0); // the sensor loop's session was closed
  });

  it("on a Linux host, rates have values (the listing is a second sweep) and the pwm stays with the firmware", async () => {
    const fleet = new SimFleet({ hosts: 1, root: join(dir, "fleet"), seed: 3, clock: new ManualClock(), workloads: ["W4"] });
    fleet.stepAll(1);
    const host = fleet.host(fleet.hostIds[0]!);
    const pwmEnable = join(host.chips().find((c) => c.name === "nct6798")!.hwmonDir, "pwm1_enable");
    const before = readFileSync(pwmEnable, "utf8");
    const config = simAgentConfig(host.profile.id, { hostId: "linux-list", root: host.root, brokerUrl: "mqtt://127.0.0.1:1", periodMs: 1000, outboxDir: join(dir, "outbox") });
    const stepper = setInterval(() => fleet.stepAll(0.2), 200);
    try {
      const { code, lines, output } = await listSensors(config);
      expect(code, output).toBe(0);
      const [, kind, value] = line(lines, "cpu:util");
      expect(kind).toBe("load");
      expect(value).toMatch(/^\d+(\.\d+)? pct$/); // not "- pct" while warming up
      expect(lines.some((l) => /^coretemp\.0:Package id 0\ttemperature\t\d+(\.\d+)? C$/.test(l))).toBe(true);
      expect(readFileSync(pwmEnable, "utf8")).toBe(before);
    } finally {
      clearInterval(stepper);
    }
  });

  it("on a Mac, the SMC's fans and keys through the helper, and no fan forced", async () => {
    const profile = loadProfile("macpro-2019");
    const physics = new SimHost({ hostId: "macpro-list", profile, seed: 4, spread: false, initial: { cpuUtil: 0.5 } });
    const smc = new SimulatedSmc({ physics, profile, scheme: "t2", inputs: () => ({ cpuUtil: 0.5, diskMBps: 0, inletC: 25 }) });
    const socketPath = join(dir, "smc.sock");
    const helper = new SimulatedSmcHelper({ smc, clock: new ManualClock(), socketPath });
    await helper.listen();
    try {
      const config = {
        version: 1,
        hostId: "macpro-list",
        root: join(dir, "mac-root"),
        broker: { url: "mqtt://127.0.0.1:1" },
        smc: { socketPath, leaseMs: 15_000 },
        sysinfo: { pollMs: 5_000 },
        temperatures: [{ match: "smc:TC0P", role: "cpu", targetC: 90, criticalC: 100, required: true }],
        fans: { driver: "smc", channels: [1, 2, 3, 4], minPct: 20, roles: ["cpu"] },
      };
      const { code, lines, output } = await listSensors(config);
      expect(code, output).toBe(0);
      expect(Number.parseFloat(line(lines, "smc:TC0P")[2]!)).toBeGreaterThan(20);
      const [, kind, rpm] = line(lines, "smc:F0Ac");
      expect(kind).toBe("fan");
      expect(Number.parseFloat(rpm!)).toBeGreaterThan(0);
      expect(lines.some((l) => l.startsWith("sysinfo:"))).toBe(true);
      expect([0, 1, 2, 3].some((i) => smc.forced(i))).toBe(false);
    } finally {
      await helper.close();
    }
  });
});
