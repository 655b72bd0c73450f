import { rmSync } from "node:fs";
import type { Command } from "commander";
import { SimFleet, type WorkloadId } from "../../firmware-sim/index.js";
import { assembleAgent } from "../agent/assemble.js";
import type { CoolingAgent, TickReport } from "../agent/agent.js";
import { SystemClock } from "../core/clock.js";
import { createLogger } from "../core/logger.js";
import { scratchDir } from "../core/scratch-dir.js";
import { startEmbeddedBroker } from "./embedded-broker.js";
import { parseLogLevel, parsePositiveNumber, parsePort } from "./options.js";
import { simAgentConfig } from "./sim-agent-config.js";

interface DemoOptions {
  hosts: string;
  seed: string;
  speed: string;
  mqttPort: string;
  duration?: string;
  logLevel: string;
}

/** A mixed fleet whose workloads make every host state happen within minutes. */
const DEMO_PROFILES = ["poweredge-r740-air", "poweredge-r740-air", "poweredge-r750-liquid", "macpro-2019"];
const DEMO_WORKLOADS: WorkloadId[] = ["W1", "W3", "W10", "W2", "W4", "W7", "W1", "W10"];

interface DemoHost {
  hostId: string;
  profile: string;
  workload: string;
  agent: CoolingAgent;
}

function hottestCpuC(report: TickReport | undefined): string {
  const temps = (report?.readings ?? []).filter((r) => r.kind === "temperature" && r.id.startsWith("coretemp") && r.value !== null);
  return temps.length === 0 ? "-" : Math.max(...temps.map((r) => r.value!)).toFixed(0);
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("everything on one machine: an embedded MQTT broker, a simulated fleet and one agent per host")
    .option("--hosts <n>", "simulated hosts", "8")
    .option("--seed <n>", "seed for the fleet's parameters, noise and workloads", "1")
    .option("--speed <x>", "simulated seconds per wall-clock second", "1")
    .option("--mqtt-port <port>", "port of the embedded MQTT broker on 127.0.0.1", "1883")
    .option("--duration <s>", "stop after this many seconds and print a summary")
    .option("--log-level <level>", "log level of the components (JSON logs on stderr)", "warn")
    .action(async (opts: DemoOptions) => {
      const hosts = parsePositiveNumber("--hosts", opts.hosts, { integer: true, max: 200 });
      const seed = parsePositiveNumber("--seed", opts.seed, { integer: true, allowZero: true });
      const speed = parsePositiveNumber("--speed", opts.speed, { max: 100 });
      const mqttPort = parsePort("--mqtt-port", opts.mqttPort);
      const durationS = opts.duration === undefined ? undefined : parsePositiveNumber("--duration", opts.duration);
      const logger = createLogger(parseLogLevel(opts.logLevel), "coolfleet-demo");
      const clock = new SystemClock();
      const root = scratchDir("coolfleet-demo-");

      const broker = await startEmbeddedBroker("127.0.0.1", mqttPort);
      const fleet = new SimFleet({ hosts, root, seed, clock, speed, profiles: DEMO_PROFILES, workloads: DEMO_WORKLOADS, logger });
      fleet.stepAll(1);
      const demoHosts: DemoHost[] = fleet.hostIds.map((hostId, i) => {
        const device = fleet.host(hostId);
        const profile = device.profile.id;
        const config = simAgentConfig(profile, { hostId, root: device.root, brokerUrl: broker.url });
        return { hostId, profile, workload: DEMO_WORKLOADS[i % DEMO_WORKLOADS.length]!, agent: assembleAgent({ config, hostId, clock, logger: logger.child({ host: hostId }) }) };
      });
      fleet.start();
      for (const host of demoHosts) await host.agent.start();

      process.stdout.write(`coolfleet demo: ${hosts} simulated hosts, broker ${broker.url}, simulator tree ${root}\n`);
      const lastReports = new Map<string, TickReport | undefined>();
      const table = setInterval(() => {
        const lines = demoHosts.map((h) => {
          const report = lastReports.get(h.hostId);
          return `  ${h.hostId}  ${h.profile.padEnd(22)} ${h.workload.padEnd(4)} ${(report?.mode ?? "-").padEnd(8)} cpu ${hottestCpuC(report).padStart(3)} °C  fan ${(report?.outputs.fanPct ?? 0).toFixed(0).padStart(3)} %${report?.outputs.pumpPct !== undefined ? `  pump ${report.outputs.pumpPct.toFixed(0).padStart(3)} %` : ""}`;
        });
        process.stdout.write(`${new Date().toISOString()}\n${lines.join("\n")}\n`);
      }, 5000);
      const sampler = setInterval(() => {
        for (const h of demoHosts) lastReports.set(h.hostId, h.agent.lastReport);
      }, 1000);

      let stopping = false;
      const stop = async (code: number): Promise<void> => {
        if (stopping) return;
        stopping = true;
        clearInterval(table);
        clearInterval(sampler);
        for (const h of demoHosts) await h.agent.stop();
        fleet.stop();
        const published = demoHosts.reduce((n, h) => n + h.agent.linkStats().published, 0);
        const dropped = demoHosts.reduce((n, h) => n + h.agent.linkStats().dropped, 0);
        await broker.close();
        rmSync(root, { recursive: true, force: true });
        process.stdout.write(`demo summary: hosts=${hosts} messagesPublished=${published} telemetryDropped=${dropped}\n`);
        process.exit(code);
      };
      const onSignal = (): void => void stop(0);
      process.on("SIGINT", onSignal);
      process.on("SIGTERM", onSignal);
      if (durationS !== undefined) setTimeout(() => void stop(0), durationS * 1000);
    });
}
