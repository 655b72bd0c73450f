/**
 * ipmitool command cost: the agent's commands — the sensor loop's `sdr type temperature` / `sdr type fan` listings,
 * and the fan actuator's manual-on (`raw 0x30 0x30 0x01 0x00`, sent every 10 s) — through one ipmitool run each
 * (the baseline, IpmitoolRunner) and through one long-lived ipmitool (IpmitoolSession), against a simulated iDRAC
 * over RMCP+ on loopback (in a process of its own, so its CPU is not counted as ours). Prints, per listing: this process's CPU, the CPU of the ipmitool (and
 * shell) processes it started, and the wall time, per command; then the session's ratios to the baseline. Last, the
 * listings through sessions renewed before every command, each walking the SDR repository as it opens (the
 * baseline) against each reading it from the SDR cache (`-S`, the dump made once by a one-shot run).
 * Usage: npm run bench:ipmi [-- --commands 240 --rounds 3]
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { IpmitoolRunner, IpmitoolSession, SdrCache, type IpmiCommandRunner, type IpmitoolTarget } from "../src/hardware/ipmi/index.js";

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
  /** Datagrams the BMC received: each is a round trip to a real BMC, milliseconds to tens of milliseconds. */
  datagrams: number;
}

type Workload = "listings" | "fan writes" | "session openings";

function commandFor(workload: Workload, i: number): string[] {
  return workload === "fan writes" ? ["raw", "0x30", "0x30", "0x01", "0x00"] : ["sdr", "type", i % 2 === 0 ? "temperature" : "fan"];
}

/** The runner measured against the candidate, and the candidate, for one workload. */
function runners(workload: Workload, target: IpmitoolTarget): { baseline: [string, IpmiCommandRunner, () => Promise<void>]; candidate: [string, IpmiCommandRunner, () => Promise<void>] } {
  if (workload !== "session openings") {
    const session = new IpmitoolSession({ target, timeoutMs: 10_000 });
    return { baseline: ["one-shot", new IpmitoolRunner({ target, timeoutMs: 10_000 }), () => Promise.resolve()], candidate: ["session", session, () => session.close()] };
  }
  const walking = new IpmitoolSession({ target, timeoutMs: 10_000, maxAgeMs: 0 });
  const cache = new SdrCache({ dumpRunner: new IpmitoolRunner({ target, timeoutMs: 10_000 }) });
  const cached = new IpmitoolSession({ target, timeoutMs: 10_000, maxAgeMs: 0, sdrCache: cache });
  return {
    baseline: ["walk", walking, () => walking.close()],
    candidate: ["SDR cache", cached, async () => {
      await cached.close();
      cache.dispose();
    }],
  };
}

async function measure(workload: Workload, runner: IpmiCommandRunner, finish: () => Promise<void>): Promise<Cost> {
  const datagrams0 = await bmc.datagrams();
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
  const cost = { selfMs: (cpu.user + cpu.system) / 1000 / listings, childrenMs: (reapedChildrenCpuMs() - children0) / listings, wallMs: (performance.now() - wall0) / listings };
  return { ...cost, datagrams: ((await bmc.datagrams()) - datagrams0) / listings };
}

interface BmcProcess {
  port: number;
  /** Datagrams the BMC has received so far. */
  datagrams(): Promise<number>;
  stop(): void;
}

/** Starts bench/bmc-process.js and resolves its UDP port; the BMC exits when our end of its stdin closes. */
function startBmcProcess(): Promise<BmcProcess> {
  const child = spawn(process.execPath, [join(import.meta.dirname, "bmc-process.js"), "calvin"], { stdio: ["pipe", "pipe", "inherit"] });
  let out = "";
  const counted: ((n: number) => void)[] = [];
  const datagrams = (): Promise<number> =>
    new Promise((resolve) => {
      counted.push(resolve);
      child.stdin.write("datagrams\n");
    });
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      const port = /port (\d+)/.exec(out)?.[1];
      if (port) resolve({ port: Number(port), datagrams, stop: () => child.stdin.end() });
      for (const m of out.matchAll(/datagrams (\d+)\n/g)) counted.shift()?.(Number(m[1]));
      out = out.replace(/datagrams \d+\n/g, "");
    });
    child.once("exit", (code) => reject(new Error(`the simulated BMC exited with ${code} before listening`)));
  });
}

const bmc = await startBmcProcess();
const target: IpmitoolTarget = { interface: "lanplus", host: "127.0.0.1", port: bmc.port, username: "root", password: "calvin" };
try {
  process.stdout.write(`ipmitool command cost: ${listings} commands per run, ${rounds} rounds, lanplus to a simulated iDRAC on loopback, ipmitool from PATH\n`);
  const rows: string[][] = [["commands", "round", "mode", "agent CPU ms", "ipmitool CPU ms", "wall ms", "datagrams", "vs the row above (agent, ipmitool, wall, datagrams)"]];
  for (const workload of ["listings", "fan writes", "session openings"] as const) {
    for (let round = 1; round <= rounds; round++) {
      const { baseline, candidate } = runners(workload, target);
      const base = await measure(workload, baseline[1], baseline[2]);
      const cost = await measure(workload, candidate[1], candidate[2]);
      const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(3) : "–");
      rows.push([workload, String(round), baseline[0], base.selfMs.toFixed(2), base.childrenMs.toFixed(2), base.wallMs.toFixed(1), base.datagrams.toFixed(1), ""]);
      rows.push([workload, String(round), candidate[0], cost.selfMs.toFixed(2), cost.childrenMs.toFixed(2), cost.wallMs.toFixed(1), cost.datagrams.toFixed(1), `${ratio(cost.selfMs, base.selfMs)}, ${ratio(cost.childrenMs, base.childrenMs)}, ${ratio(cost.wallMs, base.wallMs)}, ${ratio(cost.datagrams, base.datagrams)}`]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, c) => (c < 3 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join("  ")}\n`);
  process.stdout.write("(per command; ipmitool CPU = processes started and reaped during the run: ipmitool, and for the session its shell and cat; session openings: a new session before every listing, the SDR cache's one dump included)\n");
} finally {
  bmc.stop();
}
