import { rmSync } from "node:fs";
import { join } from "node:path";
import mqtt, { type MqttClient } from "mqtt";
import { SimulatedLiquidPowerEdge } from "../../firmware-sim/index.js";
import { assembleAgent } from "../../src/agent/assemble.js";
import type { CoolingAgent } from "../../src/agent/agent.js";
import type { AgentConfig } from "../../src/config/agent-schema.js";
import { parseAgentConfig } from "../../src/config/load.js";
import { SystemClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { decodeAck, decodeTelemetry, encode, hostTopic, type Ack, type Command, type Telemetry } from "../../src/protocol/index.js";
import { waitFor } from "../helpers/cli.js";
import { liquidAgentConfig } from "../helpers/liquid-agent-config.js";
import { startPtyPair, type PtyPair } from "../helpers/pty-pair.js";
import { startUdpRelay, type UdpRelay } from "../helpers/udp-relay.js";
import { OverLimitMeter, staleCommandsApplied } from "./measures.js";

export const CPU_SENSOR = "ipmi:Temp@3.1";

/**
 * A simulated liquid-cooled PowerEdge with its real buses: fans and CPU sensors behind the BMC (the real ipmitool
 * over RMCP+, through a UDP relay that can go silent or slow), the pump, coolant and leak sensors behind a CDU on
 * Modbus RTU over a socat pty that can be unplugged. One real agent on the system clock (times are real seconds),
 * a subscriber stamping every telemetry message, and the physics stepped in real time under full load.
 */
export class LiquidRig {
  readonly periodMs = 250;
  readonly clock = new SystemClock();
  readonly device: SimulatedLiquidPowerEdge;
  readonly meter = new OverLimitMeter("poweredge-r750-liquid");
  readonly received: { t: Telemetry; atMs: number }[] = [];
  readonly dir = scratchDir("coolfleet-faults-liquid-");
  pty!: PtyPair;
  relay!: UdpRelay;
  agent!: CoolingAgent;
  config!: AgentConfig;
  private observer: MqttClient | undefined;
  private stepping: NodeJS.Timeout | undefined;
  private readonly load = { cpuUtil: 1, diskMBps: 10, inletC: 25 };

  constructor(
    readonly hostId: string,
    private readonly brokerUrl: string,
  ) {
    this.device = new SimulatedLiquidPowerEdge({ hostId, seed: 12, clock: this.clock, password: "calvin" });
  }

  async start(): Promise<void> {
    this.pty = await startPtyPair();
    for (let i = 0; i < 30; i++) this.device.step(1, this.load);
    const { bmcPort } = await this.device.start(this.pty.b);
    this.relay = await startUdpRelay(bmcPort);
    const dtS = this.periodMs / 1000;
    this.stepping = setInterval(() => this.meter.sample(this.device.step(dtS, this.load), dtS), this.periodMs);
    this.config = parseAgentConfig(
      {
        ...liquidAgentConfig({ dir: this.dir, hostId: this.hostId, brokerUrl: this.brokerUrl, bmcPort: this.relay.port, serialPort: this.pty.a, periodMs: this.periodMs }),
        outbox: { kind: "disk", dir: join(this.dir, "outbox") },
        // Shorter than the defaults so the real-time scenarios stay short: readings stale after 2 s, and the
        // pump-failure detector learns the pump's speed per duty over 5 s of steady duty instead of 20.
        plausibility: { staleAfterS: 2 },
        faults: { pump: { settleS: 5 } },
      },
      `${this.hostId} config`,
    );
    const observer = await mqtt.connectAsync(this.brokerUrl, { clientId: `obs-${this.hostId}`, clean: false });
    this.observer = observer;
    observer.on("message", (_topic, payload) => {
      const d = decodeTelemetry(payload);
      if (d.ok) this.received.push({ t: d.value, atMs: Date.now() });
    });
    await observer.subscribeAsync(`coolfleet/v1/${this.hostId}/telemetry`, { qos: 1 });
    this.agent = await assembleAgent({ config: this.config, hostId: this.hostId, clock: this.clock, logger: silentLogger(), inventory: false });
    await this.agent.start();
    await waitFor("steady local control", () => healthy(this.received.at(-1)?.t), 30_000);
  }

  /** The first telemetry of a period at or after atMs (agent clock = real time) that satisfies the predicate. */
  firstAfter(atMs: number, predicate: (t: Telemetry) => boolean): { t: Telemetry; atMs: number } | undefined {
    return this.received.find((x) => x.t.ts >= atMs && predicate(x.t));
  }

  /**
   * Telemetry missing from fromMs on: seqs never delivered, and control periods (the agent's schedule is aligned
   * to whole periods) that published nothing at all.
   */
  lostTelemetry(fromMs: number): number {
    const window = this.received.filter((x) => x.t.ts >= fromMs);
    if (window.length === 0) return 0;
    const seqs = new Set(window.map((x) => x.t.seq));
    const gaps = Math.max(...seqs) - Math.min(...seqs) + 1 - seqs.size;
    const slots = new Set(window.map((x) => x.t.ts));
    const span = Math.round((Math.max(...slots) - Math.min(...slots)) / this.periodMs) + 1;
    return gaps + Math.max(0, span - slots.size);
  }

  /** ts of the last period published before atMs: where a row's telemetry accounting starts. */
  lastPeriodBefore(atMs: number): number {
    return Math.max(...this.received.filter((x) => x.t.ts < atMs).map((x) => x.t.ts));
  }

  async stop(): Promise<void> {
    if (this.stepping) clearInterval(this.stepping);
    await this.agent?.stop().catch(() => undefined);
    await this.observer?.endAsync();
    await this.device.stop();
    await this.relay?.close();
    await this.pty?.dispose();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function quality(t: Telemetry | undefined, id: string): string | undefined {
  return t?.readings.find((r) => r.id === id)?.quality;
}

/** Local or remote control with the CPU and the coolant flow read fine. */
export function healthy(t: Telemetry | undefined): boolean {
  return t !== undefined && (t.mode === "local" || t.mode === "remote") && quality(t, CPU_SENSOR) === "ok" && quality(t, "cdu:flow") === "ok";
}

/**
 * Plays the controller on the system clock: a fresh set-point every second, valid for 5 s; every fifth time also a
 * replay of an earlier command and one that expired before it was sent (with the next seq, so only the expiry check
 * can stop it). stale() counts what came into force when it should not have.
 */
export class ControllerStandIn {
  readonly sent: Command[] = [];
  readonly acks: Ack[] = [];
  readonly mustNotApply = new Set<string>();
  private client: MqttClient | undefined;
  private timer: NodeJS.Timeout | undefined;
  private seq = Date.now();
  private replays = 0;

  constructor(
    private readonly rig: LiquidRig,
    private readonly brokerUrl: string,
    private readonly setpoints: Command["setpoints"],
  ) {}

  async start(): Promise<void> {
    const client = await mqtt.connectAsync(this.brokerUrl, { clientId: `ctl-${this.rig.hostId}-${Date.now()}` });
    this.client = client;
    client.on("message", (_topic, payload) => {
      const d = decodeAck(payload);
      if (d.ok) this.acks.push(d.value);
    });
    await client.subscribeAsync(hostTopic(this.rig.hostId, "ack"), { qos: 1 });
    this.send();
    this.timer = setInterval(() => this.send(), 1000);
  }

  private send(): void {
    const now = Date.now();
    const fresh = this.command(now, 5000);
    this.publish(fresh);
    if (this.sent.length % 5 === 0) {
      const earlier = this.sent[this.sent.length - 4];
      if (earlier) {
        this.replays++;
        this.publish(earlier);
      }
      const stale = this.command(now - 10_000, 5000);
      this.mustNotApply.add(stale.id);
      this.publish(stale);
    }
  }

  private command(issuedAt: number, ttlMs: number): Command {
    const cmd: Command = { v: 1, id: `standin-${this.seq}`, host: this.rig.hostId, seq: this.seq++, issuedAt, expiresAt: issuedAt + ttlMs, setpoints: this.setpoints };
    this.sent.push(cmd);
    return cmd;
  }

  private publish(cmd: Command): void {
    this.client?.publish(hostTopic(this.rig.hostId, "cmd"), encode(cmd), { qos: 1 });
  }

  /** Commands that came into force stale, replayed or past their expiry (the agent runs on the true clock). */
  stale(): { count: number; why: string[] } {
    return staleCommandsApplied({ acks: this.acks, telemetry: this.rig.received.map((x) => x.t), sent: this.sent, mustNotApply: this.mustNotApply, trueTimeOf: (t) => t.ts });
  }

  summary(): string {
    const applied = new Set(this.acks.filter((a) => a.status === "applied").map((a) => a.cmdId)).size;
    return `${this.sent.length} set-points sent (${this.mustNotApply.size} stale, ${this.replays} replays), ${applied} applied`;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.client?.endAsync();
  }
}
