/**
 * ipmitool command cost: the agent's commands — the sensor loop's `sdr type temperature` / `sdr type fan` listings,
 * and the fan actuator's manual-on (`raw 0x30 0x30 0x01 0x00`, sent every 10 s) — through one ipmitool run each
 * (the baseline, IpmitoolRunner) and through one long-lived ipmitool (IpmitoolSession), against a simulated iDRAC
 * over RMCP+ on loopback (in a process of its own, so its CPU is not counted as ours). Prints, per listing: this process's CPU, the CPU of the ipmitool (and
 * shell) processes it started, and the wall time, per command; then the session's ratios to the baseline.
 * Usage: npm run bench:ipmi [-- --commands 240 --rounds 3]
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { IpmitoolRunner, IpmitoolSession, type IpmiCommandRunner, type IpmitoolTarget } from "../src/hardware/ipmi/index.js";

const { values } = parseArgs({ options: { commands: { type: "string", default: "240" }, rounds: { type: "string", default: "3" } } });
const listings = Number(values.commands);
const rounds = Number(values.rounds);
if (!Number.isInteger(listings) || listings < 2) throw new Error(`--commands must be a whole number ≥ 2; got ${values.commands}`);
if (!Number.isInteger(rounds) || rounds < 1) throw new Error(`--rounds must be a whole number ≥ 1; got ${values.rounds}`);

const CLOCK_TICKS_PER_S = 100;

/** CPU of children this process has reaped (and their own reaped children), in ms: /proc/self/stat cutime + cstime. */
function reapedChildrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_S) * 1000;
}

interface Cost {
  selfMs: number;
  childrenMs: number;
  wallMs: number;
}

type Workload = "listings" | "fan writes";

function commandFor(workload: Workload, i: number): string[] {
  return workload === "listings" ? ["sdr", "type", i % 2 === 0 ? "temperature" : "fan"] : ["raw", "0x30", "0x30", "0x01", "0x00"];
}

async function measure(workload: Workload, runner: IpmiCommandRunner, finish: () => Promise<void>): Promise<Cost> {
  const cpu0 = process.cpuUsage();
  const children0 = reapedChildrenCpuMs();
  const wall0 = performance.now();
  for (let i = 0; i < listings; i++) {
    const outcome = await runner.run(commandFor(workload, i));
    if (!outcome.ok) throw new Error(`${workload} ${i} failed: ${JSON.stringify(outcome.failure)}`);
  }
  // The session's processes are reaped only once it is closed: close it before reading the children's CPU.
  await finish();
  const cpu = process.cpuUsage(cpu0);
  return { selfMs: (cpu.user + cpu.system) / 1000 / listings, childrenMs: (reapedChildrenCpuMs() - children0) / listings, wallMs: (performance.now() - wall0) / listings };
}

/** Starts bench/bmc-process.js and resolves its UDP port; the BMC exits when our end of its stdin closes. */
function startBmcProcess(): Promise<{ port: number; stop: () => void }> {
  const child = spawn(process.execPath, [join(import.meta.dirname, "bmc-process.js"), "calvin"], { stdio: ["pipe", "pipe", "inherit"] });
  return new Promise((resolve, reject) => {
    let out = "";
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const port = /port (\d+)/.exec(out)?.[1];
      if (port) resolve({ port: Number(port), stop: () => child.stdin.end() });
    });
    child.once("exit", (code) => reject(new Error(`the simulated BMC exited with ${code} before listening`)));
  });
}

const bmc = await startBmcProcess();
const target: IpmitoolTarget = { interface: "lanplus", host: "127.0.0.1", port: bmc.port, username: "root", password: "calvin" };
try {
  process.stdout.write(`ipmitool command cost: ${listings} commands per run, ${rounds} rounds, lanplus to a simulated iDRAC on loopback, ipmitool from PATH\n`);
  const rows: string[][] = [["commands", "round", "mode", "agent CPU ms", "ipmitool CPU ms", "wall ms", "vs one-shot (agent, ipmitool, wall)"]];
  for (const workload of ["listings", "fan writes"] as const) {
    for (let round = 1; round <= rounds; round++) {
      const oneShot = await measure(workload, new IpmitoolRunner({ target, timeoutMs: 10_000 }), () => Promise.resolve());
      const session = new IpmitoolSession({ target, timeoutMs: 10_000 });
      const kept = await measure(workload, session, () => session.close());
      const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(3) : "–");
      rows.push([workload, String(round), "one-shot", oneShot.selfMs.toFixed(2), oneShot.childrenMs.toFixed(2), oneShot.wallMs.toFixed(1), ""]);
      rows.push([workload, String(round), "session", kept.selfMs.toFixed(2), kept.childrenMs.toFixed(2), kept.wallMs.toFixed(1), `${ratio(kept.selfMs, oneShot.selfMs)}, ${ratio(kept.childrenMs, oneShot.childrenMs)}, ${ratio(kept.wallMs, oneShot.wallMs)}`]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")}\n`);
  process.stdout.write("(per command; ipmitool CPU = processes started and reaped during the run: ipmitool, and for the session its shell and cat)\n");
} finally {
  bmc.stop();
}
