/**
 * Agent footprint benchmark: one `coolfleet agent` process at 1 Hz against a simulated host for a minute, with an
 * embedded broker. Prints the agent's RSS, CPU % of one core and sensor-sweep time (p50, p99), and the same
 * figures for a baseline process (plain Node.js + mqtt.js publishing a same-sized message at 1 Hz) run alongside.
 * With a simulated BMC read through the real ipmitool in the agent's slow IPMI loop (--no-ipmi to leave it out).
 * "its processes' CPU" is what the processes the agent starts (ipmitool, its shell) use beside it.
 * Usage: npm run bench:agent [-- --seconds 60 --profile poweredge-r740-air --ipmi-session per-command --node-flags="--max-semi-space-size=1"]
 */
import { spawn, type ChildProcess } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { loadProfile, SimFleet, SimHost, SimulatedBmc } from "../firmware-sim/index.js";
import { startEmbeddedBroker } from "../src/cli/embedded-broker.js";
import { simAgentConfig } from "../src/cli/sim-agent-config.js";
import { SystemClock } from "../src/core/clock.js";
import { packageRoot } from "../src/core/version.js";
import { scratchDir } from "../src/core/scratch-dir.js";
import { measureProcess } from "./proc-sampler.js";

const { values } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    profile: { type: "string", default: "poweredge-r740-air" },
    // V8 flags for both measured processes, e.g. "--max-semi-space-size=1 --v8-pool-size=1".
    "node-flags": { type: "string", default: "" },
    // Also read a simulated BMC through the real ipmitool in the agent's slow IPMI loop (needs ipmitool).
    ipmi: { type: "boolean", default: true },
    "no-ipmi": { type: "boolean", default: false },
    // How the agent runs ipmitool (ipmi.session): persistent (long-lived processes, the default) or per-command.
    "ipmi-session": { type: "string", default: "persistent" },
  },
});
const ipmiSession = values["ipmi-session"];
if (ipmiSession !== "persistent" && ipmiSession !== "per-command") throw new Error(`--ipmi-session must be persistent or per-command; got ${ipmiSession}`);
const withIpmi = values.ipmi && !values["no-ipmi"];
const nodeFlags = values["node-flags"].split(" ").filter((f) => f !== "");
const seconds = Number(values.seconds);
if (!Number.isInteger(seconds) || seconds < 60) throw new Error(`--seconds must be a whole number ≥ 60 (the agent reports sweep timings every 60 periods); got ${values.seconds}`);

interface StatsLine {
  sweepP50Ms: number;
  sweepP99Ms: number;
  sweepMaxMs: number;
  slowLoops?: Record<string, { rounds: number; p50Ms: number; p99Ms: number; maxMs: number }>;
}

function waitForLine(child: ChildProcess, lines: string[], match: (line: string) => boolean, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out; output so far:\n${lines.join("\n")}`)), timeoutMs);
    const check = (): void => {
      if (lines.some(match)) {
        clearTimeout(timer);
        resolve();
      } else setTimeout(check, 50);
    };
    check();
    child.once("exit", (code) => reject(new Error(`process exited with ${code}:\n${lines.join("\n")}`)));
  });
}

function collectLines(child: ChildProcess): string[] {
  const lines: string[] = [];
  let partial = "";
  const onData = (chunk: Buffer): void => {
    partial += chunk.toString();
    const parts = partial.split("\n");
    partial = parts.pop() ?? "";
    lines.push(...parts);
  };
  child.stdout?.on("data", onData);
  child.stderr?.on("data", onData);
  return lines;
}

const BASELINE_SOURCE = `
import mqtt from "mqtt";
const client = mqtt.connect(process.argv[2]);
const payload = "x".repeat(Number(process.argv[3]));
client.on("connect", () => { console.log("baseline connected"); setInterval(() => client.publish("baseline/telemetry", payload, { qos: 1 }), 1000); });
`;

async function main(): Promise<void> {
  const root = packageRoot();
  const dir = scratchDir("coolfleet-bench-agent-");
  const broker = await startEmbeddedBroker("127.0.0.1", 0);
  const fleet = new SimFleet({ hosts: 1, root: join(dir, "sim"), seed: 11, clock: new SystemClock(), profiles: [values.profile], workloads: ["W3"] });
  fleet.stepAll(1);
  fleet.start();
  const hostId = fleet.hostIds[0]!;
  // The durable outbox a real agent runs with (write-ahead of every message, cursor and fsync once a second).
  const config = simAgentConfig(values.profile, { hostId, root: fleet.host(hostId).root, brokerUrl: broker.url, outboxDir: join(dir, "outbox") });
  let bmc: SimulatedBmc | undefined;
  let bmcStepper: NodeJS.Timeout | undefined;
  let ipmiBlock: Record<string, unknown> = {};
  if (withIpmi) {
    // A BMC beside the hwmon tree: its sensors go through the agent's slow IPMI loop; the fans stay on hwmon.
    bmc = new SimulatedBmc({ host: new SimHost({ hostId: "bmc", profile: loadProfile("poweredge-r740-air"), seed: 3 }), clock: new SystemClock(), password: "calvin" });
    const { port } = await bmc.start();
    const activeBmc = bmc;
    bmcStepper = setInterval(() => activeBmc.step(1, { cpuUtil: 0.5, diskMBps: 5, inletC: 25 }), 1000);
    const passwordFile = join(dir, "bmc-password");
    writeFileSync(passwordFile, "calvin\n", { mode: 0o600 });
    ipmiBlock = { ipmi: { interface: "lanplus", host: "127.0.0.1", port, username: "root", passwordFile, sweepPeriodMs: 5000, timeoutMs: 5000, session: ipmiSession } };
  }
  const configFile = join(dir, "agent.yaml");
  writeFileSync(configFile, stringify({ ...config, ...ipmiBlock }));

  const agent = spawn(process.execPath, [...nodeFlags, join(root, "dist/src/cli/main.js"), "agent", "--config", configFile, "--log-level", "info"], { stdio: ["ignore", "pipe", "pipe"] });
  const agentLines = collectLines(agent);
  const baselineFile = join(root, "dist/bench/.baseline-publisher.mjs");
  writeFileSync(baselineFile, BASELINE_SOURCE);
  // The baseline publishes a message the size of the agent's telemetry.
  const baseline = spawn(process.execPath, [...nodeFlags, baselineFile, broker.url, "2600"], { stdio: ["ignore", "pipe", "pipe"], cwd: root });
  const baselineLines = collectLines(baseline);
  try {
    await waitForLine(agent, agentLines, (l) => l.includes("agent started"), 15_000);
    await waitForLine(baseline, baselineLines, (l) => l.includes("baseline connected"), 15_000);
    await new Promise((r) => setTimeout(r, 3000)); // warm-up: JIT, first reconnects
    process.stdout.write(`agent benchmark: ${values.profile}, ${seconds} s at 1 Hz, node ${process.version} ${nodeFlags.join(" ") || "(default V8 flags)"}${withIpmi ? `, IPMI session ${ipmiSession}` : ", no IPMI"}\n`);
    const [agentUse, baselineUse] = await Promise.all([measureProcess(agent.pid!, seconds), measureProcess(baseline.pid!, seconds)]);
    await waitForLine(agent, agentLines, (l) => l.includes("control period stats"), 10_000);
    const stats = agentLines.filter((l) => l.includes("control period stats")).map((l) => JSON.parse(l) as StatsLine);
    const sweepP50 = stats.map((s) => s.sweepP50Ms).sort((a, b) => a - b)[Math.floor(stats.length / 2)]!;
    const sweepP99 = Math.max(...stats.map((s) => s.sweepP99Ms));
    const sweepMax = Math.max(...stats.map((s) => s.sweepMaxMs));
    const rows = [
      ["", "agent", "baseline", "agent/baseline", "target"],
      ["RSS mean (MiB)", agentUse.rssMeanMiB.toFixed(1), baselineUse.rssMeanMiB.toFixed(1), (agentUse.rssMeanMiB / baselineUse.rssMeanMiB).toFixed(2), "≤ 50"],
      ["RSS max (MiB)", agentUse.rssMaxMiB.toFixed(1), baselineUse.rssMaxMiB.toFixed(1), (agentUse.rssMaxMiB / baselineUse.rssMaxMiB).toFixed(2), ""],
      ["CPU (% of one core)", agentUse.cpuPct.toFixed(2), baselineUse.cpuPct.toFixed(2), (agentUse.cpuPct / Math.max(baselineUse.cpuPct, 0.01)).toFixed(2), "≤ 0.5"],
      ["its processes' CPU (%)", agentUse.childrenCpuPct.toFixed(2), baselineUse.childrenCpuPct.toFixed(2), "", ""],
      ["sweep p50 (ms)", sweepP50.toFixed(3), "", "", ""],
      ["sweep p99 (ms)", sweepP99.toFixed(3), "", "", "≤ 3"],
      ["sweep max (ms)", sweepMax.toFixed(3), "", "", ""],
    ];
    const ipmiStats = stats.at(-1)?.slowLoops?.ipmi;
    if (withIpmi) {
      if (!ipmiStats) throw new Error("the agent reported no IPMI rounds");
      rows.push(["IPMI round p50 (ms)", ipmiStats.p50Ms.toFixed(0), "", "", ""]);
      rows.push(["IPMI round p99 (ms)", ipmiStats.p99Ms.toFixed(0), "", "", "≤ 200"]);
      rows.push(["IPMI rounds", String(ipmiStats.rounds), "", "", ""]);
    }
    for (const row of rows) process.stdout.write(`${row[0]!.padEnd(22)}${row.slice(1).map((c) => c.padStart(16)).join("")}\n`);
  } finally {
    agent.kill("SIGTERM");
    baseline.kill("SIGTERM");
    await new Promise((r) => agent.once("exit", r));
    fleet.stop();
    if (bmcStepper) clearInterval(bmcStepper);
    await bmc?.stop();
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
    rmSync(baselineFile, { force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:agent failed: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
