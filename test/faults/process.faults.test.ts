import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { SimFleet, SimulatedLiquidPowerEdge } from "../../firmware-sim/index.js";
import type { CoolingAgent } from "../../src/agent/agent.js";
import { assembleAgent } from "../../src/agent/assemble.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";
import { ManualClock, SystemClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { SqliteTelemetryStore } from "../../src/controller/store/index.js";
import { decodeAck, decodeCommand, decodeHostState, decodeTelemetry, type Ack, type Command, type HostState, type Telemetry } from "../../src/protocol/index.js";
import { runCli, waitFor, type CliProcess } from "../helpers/cli.js";
import { freePort, startMosquitto, type MosquittoBroker } from "../helpers/mosquitto.js";
import { ipmitoolProcessesFor } from "../helpers/processes.js";
import { FaultRecorder } from "./fault-table.js";
import { OverLimitMeter, staleCommandsApplied } from "./measures.js";
import { recordAndAssert } from "./targets.js";

/**
 * Faults about processes, so real processes: `coolfleet agent` and `coolfleet controller` killed with SIGKILL.
 * Times here are real seconds (the processes run on the system clock), except the BMC's lease, which runs on the
 * simulated BMC's own clock.
 */
const recorder = new FaultRecorder(import.meta.filename);
let broker: MosquittoBroker;
let dir: string;
const processes: CliProcess[] = [];

beforeAll(async () => {
  broker = await startMosquitto();
  dir = scratchDir("coolfleet-faults-proc-");
});
afterAll(async () => {
  recorder.print();
  for (const p of processes) p.child.kill("SIGKILL");
  await broker.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function start(args: string[], env?: Record<string, string>): CliProcess {
  const p = runCli(args, env);
  processes.push(p);
  return p;
}

/** Everything the broker delivers for one host, stamped with the real time it arrived. */
class HostObserver {
  readonly telemetry: { t: Telemetry; atMs: number }[] = [];
  readonly states: { s: HostState; atMs: number }[] = [];
  private client: MqttClient | undefined;

  async start(hostId: string): Promise<void> {
    this.client = await mqtt.connectAsync(broker.url, { clientId: `obs-${hostId}`, clean: false });
    this.client.on("message", (topic, payload) => {
      if (topic.endsWith("/telemetry")) {
        const d = decodeTelemetry(payload);
        if (d.ok) this.telemetry.push({ t: d.value, atMs: Date.now() });
      } else if (topic.endsWith("/state")) {
        const d = decodeHostState(payload);
        if (d.ok) this.states.push({ s: d.value, atMs: Date.now() });
      }
    });
    await this.client.subscribeAsync(`coolfleet/v1/${hostId}/#`, { qos: 1 });
  }

  boots(): string[] {
    return [...new Set(this.telemetry.map((x) => x.t.boot))];
  }

  /** Seqs missing below the highest one received, per boot (what a killed boot produced after that is unknowable). */
  gaps(): number {
    let gaps = 0;
    for (const boot of this.boots()) {
      const seqs = new Set(this.telemetry.filter((x) => x.t.boot === boot).map((x) => x.t.seq));
      gaps += Math.max(...seqs) + 1 - seqs.size;
    }
    return gaps;
  }

  async stop(): Promise<void> {
    await this.client?.endAsync();
  }
}

/** Polls an async condition every 20 ms; resolves with the time it first held, or undefined after timeoutMs. */
async function pollUntil(condition: () => Promise<boolean>, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return Date.now();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}

function enableValues(chipDir: string, channels: number[]): string[] {
  return channels.map((c) => readFileSync(join(chipDir, `pwm${c}_enable`), "utf8").trim());
}

describe("process faults", () => {
  it("agent SIGKILL on a hwmon host: ExecStopPost hands the fans back, the restarted agent delivers the dead one's outbox", async () => {
    const hostId = "kill-hwmon";
    const fleet = new SimFleet({ hosts: 1, root: join(dir, "hwmon"), seed: 4, clock: new ManualClock(), workloads: ["W4"] });
    fleet.stepAll(1);
    const device = fleet.host(fleet.hostIds[0]!);
    const meter = new OverLimitMeter(device.profile.id);
    const config = simAgentConfig(device.profile.id, { hostId, root: device.root, brokerUrl: broker.url, periodMs: 200, outboxDir: join(dir, "hwmon-outbox") });
    const configFile = join(dir, "hwmon.yaml");
    writeFileSync(configFile, stringify(config));
    const runtimeDir = join(dir, "hwmon-run");
    mkdirSync(runtimeDir);
    const env = { RUNTIME_DIRECTORY: runtimeDir };
    const chipDir = device.chips().find((c) => c.name === "nct6798")!.hwmonDir;
    const channels = config.fans.channels;
    const stepping = setInterval(() => {
      fleet.stepAll(0.2);
      meter.sample(device.snapshot(), 0.2);
    }, 200);
    const observer = new HostObserver();
    await observer.start(hostId);
    try {
      const agent = start(["agent", "--config", configFile, "--log-level", "warn"], env);
      await waitFor("10 telemetry messages", () => observer.telemetry.length >= 10, 15_000);
      expect(enableValues(chipDir, channels)).toEqual(channels.map(() => "1"));

      const killedAt = Date.now();
      agent.child.kill("SIGKILL");
      await agent.exited;
      // What systemd does next: ExecStopPost (--restore-firmware), then Restart=on-failure.
      const restore = start(["agent", "--config", configFile, "--restore-firmware"], env);
      expect((await restore.exited).code, restore.output()).toBe(0);
      const firmwareAt = Date.now();
      expect(enableValues(chipDir, channels)).toEqual(channels.map(() => "2"));
      await waitFor("the Last Will", () => observer.states.some((x) => !x.s.online && x.s.reason === "lost"), 10_000);
      const lwt = observer.states.find((x) => !x.s.online && x.s.reason === "lost")!;

      const restarted = start(["agent", "--config", configFile, "--log-level", "warn"], env);
      await waitFor("telemetry of the new boot", () => observer.boots().length === 2, 15_000);
      const resumedAt = observer.telemetry.find((x) => x.t.boot === observer.boots()[1])!.atMs;
      await waitFor("the dead boot's outbox delivered", () => observer.gaps() === 0, 10_000).catch(() => undefined);
      restarted.child.kill("SIGTERM");
      await restarted.exited;

      recordAndAssert(
        recorder,
        {
          family: "process",
          fault: "agent SIGKILL (hwmon, ExecStopPost)",
          telemetryLost: observer.gaps(),
          overLimitS: meter.overLimitS,
          staleCommandsApplied: 0,
          detectS: (lwt.atMs - killedAt) / 1000,
          detectPeriods: Math.round((lwt.atMs - killedAt) / config.periodMs),
          recoverS: (resumedAt - killedAt) / 1000,
          notes: `detect = Last Will at the subscriber; fans back to firmware (pwm_enable 2) ${((firmwareAt - killedAt) / 1000).toFixed(2)} s after the kill; recover = new boot's first telemetry; no controller: no commands`,
        },
        { recoverSMax: 10 },
      );
    } finally {
      clearInterval(stepping);
      await observer.stop();
    }
  });

  it("agent SIGKILL on an IPMI host with no ExecStopPost: the BMC's manual-mode lease hands the fans back", async () => {
    const hostId = "kill-bmc";
    const bmcClock = new ManualClock(Date.now());
    const device = new SimulatedLiquidPowerEdge({ hostId, seed: 12, clock: bmcClock, password: "calvin" });
    const meter = new OverLimitMeter("poweredge-r750-liquid");
    const load = { cpuUtil: 1, diskMBps: 10, inletC: 25 };
    for (let i = 0; i < 20; i++) device.bmc.step(1, load);
    const { port } = await device.bmc.start();
    const step = (dtS: number) => {
      bmcClock.advance(dtS * 1000);
      meter.sample(device.bmc.step(dtS, load), dtS);
    };
    let stepping: NodeJS.Timeout | undefined = setInterval(() => step(0.1), 100);
    const passwordFile = join(dir, "bmc-password");
    writeFileSync(passwordFile, "calvin\n", { mode: 0o600 });
    mkdirSync(join(dir, "bmc-root"), { recursive: true });
    const configFile = join(dir, "bmc.yaml");
    writeFileSync(
      configFile,
      stringify({
        version: 1,
        hostId,
        root: join(dir, "bmc-root"),
        periodMs: 250,
        broker: { url: broker.url },
        outbox: { kind: "memory" },
        ipmi: { interface: "lanplus", host: "127.0.0.1", port, username: "root", passwordFile, sweepPeriodMs: 1000, timeoutMs: 2000 },
        temperatures: [
          { match: "ipmi:Temp@3.*", role: "cpu", targetC: 55, criticalC: 95, required: true },
          { match: "ipmi:Exhaust Temp", role: "exhaust", targetC: 60, criticalC: 75 },
        ],
        fans: { driver: "ipmi", channels: [1, 2, 3, 4, 5, 6], minPct: 20, roles: ["cpu", "exhaust"] },
      }),
    );
    const observer = new HostObserver();
    await observer.start(hostId);
    try {
      const agent = start(["agent", "--config", configFile, "--log-level", "warn"], { RUNTIME_DIRECTORY: "" });
      await waitFor("manual fan mode and telemetry", () => device.bmc.mode() === "manual" && observer.telemetry.length >= 8, 20_000);
      // The long-lived ipmitools (sensor loop, fans) are running now; they must not outlive the agent.
      expect(ipmitoolProcessesFor(port).length).toBeGreaterThanOrEqual(1);
      const killedAt = Date.now();
      const killedAtBmcMs = bmcClock.nowMs();
      agent.child.kill("SIGKILL");
      await agent.exited;
      await waitFor("the dead agent's ipmitool session to end", () => ipmitoolProcessesFor(port).length === 0, 5_000);
      await waitFor("the Last Will", () => observer.states.some((x) => !x.s.online && x.s.reason === "lost"), 10_000);
      const lwt = observer.states.find((x) => !x.s.online && x.s.reason === "lost")!;
      // Nobody restores anything: the BMC's own lease must. Its clock (and the physics) now run ahead of real time.
      clearInterval(stepping);
      stepping = undefined;
      for (let i = 0; i < 600 && device.bmc.mode() === "manual"; i++) step(0.1);
      for (let i = 0; i < 100; i++) step(0.1); // and the firmware curve holds the host afterwards
      const change = device.bmc.lastModeChange();
      expect(change).toMatchObject({ mode: "auto", reason: "lease-lapsed" });
      recordAndAssert(
        recorder,
        {
          family: "process",
          fault: "agent SIGKILL (IPMI, BMC lease)",
          telemetryLost: observer.gaps(),
          overLimitS: meter.overLimitS,
          staleCommandsApplied: 0,
          detectS: (lwt.atMs - killedAt) / 1000,
          detectPeriods: Math.round((lwt.atMs - killedAt) / 250),
          recoverS: change ? (change.atMs - killedAtBmcMs) / 1000 : null,
          notes: "detect = Last Will at the subscriber; recover = BMC manual-mode lease lapsed to automatic (BMC clock); lost = gaps below the last seq received",
        },
        { recoverSMax: 31 },
      );
    } finally {
      if (stepping) clearInterval(stepping);
      await observer.stop();
      await device.stop();
    }
  });

  it("controller SIGKILL mid-ingest: after a restart every telemetry message is stored exactly once", async () => {
    const hosts = 4;
    const fleetClock = new ManualClock(Date.now());
    const fleet = new SimFleet({ hosts, root: join(dir, "ctl-hosts"), seed: 8, clock: fleetClock, workloads: ["W4"] });
    fleet.stepAll(1);
    const meters = new Map(fleet.hostIds.map((id) => [id, new OverLimitMeter(fleet.host(id).profile.id)]));
    const stepping = setInterval(() => {
      fleet.stepAll(0.1);
      for (const [id, m] of meters) m.sample(fleet.host(id).snapshot(), 0.1);
    }, 100);
    const agents = new Map<string, CoolingAgent>();
    const commands: Command[] = [];
    const acks: Ack[] = [];
    const telemetry: Telemetry[] = [];
    const storePath = join(dir, "controller.db");
    const configFile = join(dir, "controller.yaml");
    writeFileSync(configFile, stringify({ version: 1, broker: { url: broker.url, clientId: `faults-ctl-${process.pid}` }, store: { path: storePath }, http: { port: await freePort() } }));
    try {
      for (const simId of fleet.hostIds) {
        const device = fleet.host(simId);
        const hostId = `ctl-${simId}`;
        const config = simAgentConfig(device.profile.id, { hostId, root: device.root, brokerUrl: broker.url, periodMs: 100 });
        agents.set(hostId, await assembleAgent({ config, hostId, clock: new SystemClock(), logger: silentLogger(), inventory: false }));
      }
      // Everything on the wire, to judge the controller's commands against the agents' telemetry and acks.
      const spy = await mqtt.connectAsync(broker.url, { clientId: `faults-ctl-spy-${process.pid}` });
      spy.on("message", (topic, payload) => {
        const kind = topic.split("/")[3];
        if (kind === "cmd") {
          const d = decodeCommand(payload);
          if (d.ok) commands.push(d.value);
        } else if (kind === "ack") {
          const d = decodeAck(payload);
          if (d.ok) acks.push(d.value);
        } else if (kind === "telemetry") {
          const d = decodeTelemetry(payload);
          if (d.ok) telemetry.push(d.value);
        }
      });
      await spy.subscribeAsync("coolfleet/v1/+/+", { qos: 1 });
      const controller = start(["controller", "--config", configFile, "--log-level", "warn"]);
      await waitFor("controller ready", () => controller.output().includes("coolfleet controller: dashboard"), 20_000);
      for (const agent of agents.values()) await agent.start();
      await new Promise((resolve) => setTimeout(resolve, 2000));

      const killedAt = Date.now();
      controller.child.kill("SIGKILL");
      await controller.exited;
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const produced = () => [...agents.values()].reduce((n, a) => n + a.counters.ticks, 0);
      const producedAtRestart = produced();
      const restartedAt = Date.now();
      const again = start(["controller", "--config", configFile, "--log-level", "warn"]);
      await waitFor("controller ready again", () => again.output().includes("coolfleet controller: dashboard"), 20_000);
      // A second reader of the same SQLite file (WAL): when has the restarted controller caught up?
      const reader = new SqliteTelemetryStore(storePath);
      const caughtUp = await pollUntil(async () => (await reader.countTelemetry()) >= producedAtRestart, 20_000);
      for (const agent of agents.values()) await agent.stop();
      const total = produced();
      await pollUntil(async () => (await reader.countTelemetry()) >= total, 10_000);
      await reader.close();
      again.child.kill("SIGTERM");
      await again.exited;
      await spy.endAsync();

      const store = new SqliteTelemetryStore(storePath);
      let lost = 0;
      let duplicates = 0;
      for (const [hostId, agent] of agents) {
        const keys = (await store.telemetryRange(hostId, 0, Number.MAX_SAFE_INTEGER, 1_000_000)).map((t) => `${t.boot}/${t.seq}`);
        duplicates += keys.length - new Set(keys).size;
        lost += agent.counters.ticks - new Set(keys).size;
      }
      await store.close();
      // The agents run on the system clock: a telemetry message's ts is the true time of its period.
      const stale = staleCommandsApplied({ acks, telemetry, sent: commands, mustNotApply: new Set(), trueTimeOf: (t) => t.ts });
      recordAndAssert(
        recorder,
        {
          family: "process",
          fault: "controller SIGKILL mid-ingest",
          telemetryLost: lost,
          overLimitS: Math.max(...[...meters.values()].map((m) => m.overLimitS)),
          staleCommandsApplied: stale.count,
          detectS: null,
          detectPeriods: null,
          recoverS: caughtUp === undefined ? null : (caughtUp - restartedAt) / 1000,
          notes: [
            `${hosts} agents at 10 Hz, ${total} messages, controller down ${((restartedAt - killedAt) / 1000).toFixed(1)} s`,
            `${duplicates} duplicates in the store`,
            `${commands.length} controller commands, ${new Set(acks.filter((a) => a.status === "applied").map((a) => a.cmdId)).size} applied`,
            "recover = the restarted controller's store holds everything produced before its restart",
            ...stale.why,
          ].join("; "),
        },
        { recoverSMax: 15 },
      );
      expect(duplicates).toBe(0);
    } finally {
      clearInterval(stepping);
      for (const agent of agents.values()) await agent.stop().catch(() => undefined);
    }
  });
});
