import { rmSync } from "node:fs";
import { join } from "node:path";
import type { Command } from "commander";
import { createWorkload, SimFleet, type Workload, type WorkloadId } from "../../firmware-sim/index.js";
import { assembleAgent } from "../agent/assemble.js";
import type { CoolingAgent } from "../agent/agent.js";
import { parseControllerConfig } from "../config/load.js";
import { SystemClock } from "../core/clock.js";
import { createLogger } from "../core/logger.js";
import { scratchDir } from "../core/scratch-dir.js";
import { startControllerService } from "../controller/controller-service.js";
import type { FleetSummary } from "../controller/http/read-model.js";
import { startEmbeddedBroker } from "./embedded-broker.js";
import { parseLogLevel, parsePort, parsePositiveNumber } from "./options.js";
import { simAgentConfig } from "./sim-agent-config.js";

interface DemoOptions {
  hosts: string;
  seed: string;
  speed: string;
  port: string;
  mqttPort: string;
  policy: string;
  duration?: string;
  logLevel: string;
}

/** A mixed fleet whose workloads make Cooling, Scaling and DataStorage all happen within minutes. */
const DEMO_PROFILES = ["poweredge-r740-air", "poweredge-r740-air", "poweredge-r750-liquid", "macpro-2019"];
/** [workload, how many times faster it plays]: the long phases of W1, W2, W4 and W10 are shortened for a demo. */
const DEMO_WORKLOADS: [WorkloadId, number][] = [["W1", 2], ["W3", 1], ["W10", 6], ["W2", 2], ["W4", 4], ["W7", 288], ["W1", 2], ["W10", 6]];

function demoWorkloads(seed: number): Workload[] {
  return DEMO_WORKLOADS.map(([id, timeCompression], i) => createWorkload(id, { seed: seed + i, timeCompression }));
}
const STATUS_EVERY_MS = 10_000;

function statusLine(summary: FleetSummary, elapsedS: number): string {
  const states = Object.entries(summary.byState)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${state} ${n}`)
    .join(", ");
  return `[${elapsedS.toFixed(0).padStart(4)} s] hosts ${summary.online}/${summary.hosts} online (${states}) · telemetry stored ${summary.telemetryStored} · commands acked ${summary.commandsAcked} · transitions ${summary.transitions}`;
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description("everything on one machine: an embedded MQTT broker, the controller with its dashboard, and a simulated fleet with one agent per host")
    .option("--hosts <n>", "simulated hosts", "8")
    .option("--seed <n>", "seed for the fleet's parameters, noise and workloads", "1")
    .option("--speed <x>", "simulated seconds per wall-clock second", "1")
    .option("--port <port>", "dashboard and API port on 127.0.0.1", "8080")
    .option("--mqtt-port <port>", "port of the embedded MQTT broker on 127.0.0.1", "1883")
    .option("--policy <id>", "planning policy: b1 (stepwise curve) or b2 (cascade PID)", "b2")
    .option("--duration <s>", "stop after this many seconds and print a one-line summary")
    .option("--log-level <level>", "log level of the components (JSON logs on stderr)", "warn")
    .action(async (opts: DemoOptions) => {
      const hosts = parsePositiveNumber("--hosts", opts.hosts, { integer: true, max: 200 });
      const seed = parsePositiveNumber("--seed", opts.seed, { integer: true, allowZero: true });
      const speed = parsePositiveNumber("--speed", opts.speed, { max: 100 });
      const httpPort = parsePort("--port", opts.port);
      const mqttPort = parsePort("--mqtt-port", opts.mqttPort);
      const durationS = opts.duration === undefined ? undefined : parsePositiveNumber("--duration", opts.duration);
      const logger = createLogger(parseLogLevel(opts.logLevel), "coolfleet-demo");
      const clock = new SystemClock();
      const root = scratchDir("coolfleet-demo-");
      const startedMs = clock.nowMs();

      const broker = await startEmbeddedBroker("127.0.0.1", mqttPort);
      const config = parseControllerConfig(
        {
          version: 1,
          broker: { url: broker.url },
          http: { host: "127.0.0.1", port: httpPort },
          store: { path: join(root, "controller.db") },
          planner: { policy: opts.policy },
        },
        "--policy",
      );
      const service = await startControllerService({ config, clock, logger: logger.child({ part: "controller" }) });

      const fleet = new SimFleet({ hosts, root: join(root, "hosts"), seed, clock, speed, profiles: DEMO_PROFILES, workloads: demoWorkloads(seed), logger });
      fleet.stepAll(1);
      const agents: CoolingAgent[] = [];
      for (const hostId of fleet.hostIds) {
        const device = fleet.host(hostId);
        // Each agent keeps a real disk outbox, in the demo's scratch directory (removed on exit).
        const agentConfig = simAgentConfig(device.profile.id, { hostId, root: device.root, brokerUrl: broker.url, outboxDir: join(root, "outbox", hostId) });
        // One inventory for the whole demo would describe this machine eight times over: leave it out.
        agents.push(await assembleAgent({ config: agentConfig, hostId, clock, logger: logger.child({ host: hostId }), inventory: false }));
      }
      fleet.start();
      for (const agent of agents) await agent.start();

      process.stdout.write(
        `coolfleet demo: ${hosts} simulated hosts at ${speed}× real time, policy ${service.controller.policyId}\n` +
          `  dashboard  ${service.http.url}\n  broker     ${broker.url} (embedded)\n  Ctrl-C stops everything and hands every fan back to its firmware.\n`,
      );
      const status = setInterval(() => {
        void service.controller.summary().then((s) => process.stdout.write(`${statusLine(s, (clock.nowMs() - startedMs) / 1000)}\n`));
      }, STATUS_EVERY_MS);

      let stopping = false;
      const stop = async (): Promise<void> => {
        if (stopping) return;
        stopping = true;
        clearInterval(status);
        for (const agent of agents) await agent.stop();
        fleet.stop();
        const summary = await service.controller.summary();
        await service.stop();
        await broker.close();
        rmSync(root, { recursive: true, force: true });
        process.stdout.write(
          `demo summary: hosts=${summary.hosts} telemetryStored=${summary.telemetryStored} commandsAcked=${summary.commandsAcked} stateTransitions=${summary.transitions} rejected=${summary.telemetryRejected} missing=${summary.telemetryMissing}\n`,
        );
        process.exit(0);
      };
      process.on("SIGINT", () => void stop());
      process.on("SIGTERM", () => void stop());
      if (durationS !== undefined) setTimeout(() => void stop(), durationS * 1000);
    });
}
