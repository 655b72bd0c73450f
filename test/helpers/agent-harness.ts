import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { SimFleet, type SimulatedHostDevice, type WorkloadId, type Workload } from "../../firmware-sim/index.js";
import { assembleAgent } from "../../src/agent/assemble.js";
import type { CoolingAgent } from "../../src/agent/agent.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";
import type { AgentConfig } from "../../src/config/agent-schema.js";
import { parseAgentConfig } from "../../src/config/load.js";
import { ManualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { decodeAck, decodeHostState, decodeTelemetry, encode, hostTopic, type Ack, type Command, type HostState, type Telemetry } from "../../src/protocol/index.js";

export interface AgentHarnessOptions {
  brokerUrl: string;
  profile?: string;
  workload?: WorkloadId | Workload;
  seed?: number;
  /** Changes applied to the simulated host's agent config before validation. */
  configure?: (config: AgentConfig) => Record<string, unknown>;
}

/** Everything the broker delivered for one host, decoded; anything that failed to decode is kept as a failure. */
export interface Received {
  telemetry: Telemetry[];
  states: HostState[];
  acks: Ack[];
  invalid: string[];
}

let harnessCount = 0;

/**
 * The real agent (real hwmon/procfs bindings, real MQTT link) wired to one simulated host's sysfs tree and a
 * real broker, with a ManualClock: each period() steps the physics, advances time and waits for the agent's tick.
 */
export class AgentHarness {
  readonly clock = new ManualClock(Date.now());
  readonly received: Received = { telemetry: [], states: [], acks: [], invalid: [] };
  readonly root: string;
  readonly fleet: SimFleet;
  readonly device: SimulatedHostDevice;
  readonly hostId: string;
  readonly config: AgentConfig;
  private assembled: CoolingAgent | undefined;
  private observer: MqttClient | undefined;
  private commandSeq = 1;

  constructor(private readonly options: AgentHarnessOptions) {
    this.root = scratchDir("coolfleet-agent-");
    const profile = options.profile ?? "poweredge-r740-air";
    this.fleet = new SimFleet({
      hosts: 1,
      root: this.root,
      seed: options.seed ?? 7,
      profiles: [profile],
      workloads: [options.workload ?? "W4"],
      clock: this.clock,
    });
    // A host id of its own per harness, so retained state from an earlier test never reaches this one.
    this.hostId = `agent-${++harnessCount}-${process.pid}`;
    this.device = this.fleet.host(this.fleet.hostIds[0]!)!;
    this.fleet.stepAll(1);
    const base = simAgentConfig(profile, { hostId: this.hostId, root: this.device.root, brokerUrl: options.brokerUrl });
    this.config = options.configure ? parseAgentConfig(options.configure(base), "test config") : base;
  }

  get agent(): CoolingAgent {
    if (!this.assembled) throw new Error("AgentHarness: call start() first");
    return this.assembled;
  }

  async start(): Promise<void> {
    this.assembled = await assembleAgent({ config: this.config, hostId: this.hostId, clock: this.clock, logger: silentLogger(), inventory: false });
    const observer = await mqtt.connectAsync(this.options.brokerUrl, { clientId: `observer-${this.hostId}-${process.pid}`, reconnectPeriod: 200, clean: false });
    this.observer = observer;
    observer.on("message", (topic, payload) => this.record(topic, payload));
    await observer.subscribeAsync(`coolfleet/v1/${this.hostId}/#`, { qos: 1 });
    await this.agent.start();
  }

  private record(topic: string, payload: Buffer): void {
    const kind = topic.split("/")[3];
    if (kind === "telemetry") {
      const d = decodeTelemetry(payload);
      if (d.ok) this.received.telemetry.push(d.value);
      else this.received.invalid.push(`${topic}: ${d.reason}`);
    } else if (kind === "state") {
      const d = decodeHostState(payload);
      if (d.ok) this.received.states.push(d.value);
      else this.received.invalid.push(`${topic}: ${d.reason}`);
    } else if (kind === "ack") {
      const d = decodeAck(payload);
      if (d.ok) this.received.acks.push(d.value);
      else this.received.invalid.push(`${topic}: ${d.reason}`);
    }
  }

  /** One control period: the physics moves on, time advances, the agent ticks. */
  async period(count = 1): Promise<void> {
    for (let i = 0; i < count; i++) {
      this.fleet.stepAll(this.config.periodMs / 1000);
      this.clock.advance(this.config.periodMs);
      await this.agent.whenIdle();
    }
  }

  /** Waits (in real time: the broker is a real process) until the predicate holds. */
  async until(what: string, predicate: () => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  }

  command(setpoints: Command["setpoints"], opts: { seq?: number; ttlMs?: number; issuedAt?: number; id?: string } = {}): Command {
    const issuedAt = opts.issuedAt ?? this.clock.nowMs();
    const n = this.commandSeq++;
    return {
      v: 1,
      id: opts.id ?? `cmd-${n}`,
      host: this.hostId,
      seq: opts.seq ?? n,
      issuedAt,
      expiresAt: issuedAt + (opts.ttlMs ?? 10_000),
      setpoints,
    };
  }

  async send(command: Command | string): Promise<void> {
    const payload = typeof command === "string" ? command : encode(command);
    await this.observer!.publishAsync(hostTopic(this.hostId, "cmd"), payload, { qos: 1 });
  }

  /** Sends and waits until the agent has the payload, so the next period() sees it. */
  async deliver(command: Command | string): Promise<void> {
    const before = this.agent.counters.commandsReceived;
    await this.send(command);
    await this.until("the agent to receive the command", () => this.agent.counters.commandsReceived > before);
  }

  /** The agent subscribes after connecting: send an already-expired probe until its "expired" ack comes back. */
  async waitForCommandPath(): Promise<void> {
    const nowMs = this.clock.nowMs();
    const probe: Command = { v: 1, id: "probe", host: this.hostId, seq: 0, issuedAt: nowMs - 10, expiresAt: nowMs - 5, setpoints: { fanPct: 100 } };
    const deadline = Date.now() + 5000;
    while (!this.received.acks.some((a) => a.cmdId === "probe")) {
      if (Date.now() > deadline) throw new Error("agent never answered the probe command");
      await this.send(probe);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  acksFor(cmdId: string): Ack[] {
    return this.received.acks.filter((a) => a.cmdId === cmdId);
  }

  pwm(channel: number, chipDir = "nct6798"): { pwm: number; enable: number } {
    const dir = this.chipDir(chipDir);
    return {
      pwm: Number(readFileSync(join(dir, `pwm${channel}`), "utf8")),
      enable: Number(readFileSync(join(dir, `pwm${channel}_enable`), "utf8")),
    };
  }

  chipDir(name: string): string {
    const chip = this.device.chips().find((c) => c.name === name);
    if (!chip) throw new Error(`no chip ${name} on ${this.hostId}`);
    return chip.hwmonDir;
  }

  /** Stops the agent as its service manager would, then starts a new boot of it with the same host id and config. */
  async restartAgent(): Promise<void> {
    await this.assembled?.stop();
    this.assembled = await assembleAgent({ config: this.config, hostId: this.hostId, clock: this.clock, logger: silentLogger(), inventory: false });
    await this.assembled.start();
  }

  async stop(): Promise<void> {
    await this.assembled?.stop();
    await this.observer?.endAsync();
  }

  dispose(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}
