import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { BrokerConfig } from "../config/agent-schema.js";
import type { Clock, TimerHandle } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import { brokerTlsOptions, type BrokerTlsOptions } from "../config/broker-tls.js";
import { encode, hostTopic, type Ack, type HostState, type Telemetry } from "../protocol/index.js";
import { ReconnectBackoff } from "./backoff.js";
import { markHistorical, ReplayPacer, type Outbox, type OutboxMessageKind, type OutboxRecord } from "./outbox/index.js";
import type { z } from "zod";

type BrokerSettings = z.infer<typeof BrokerConfig>;

export interface AgentLinkOptions {
  broker: BrokerSettings;
  hostId: string;
  boot: string;
  clock: Clock;
  logger: Logger;
  password?: string;
  /** Where telemetry and acks wait for their PUBACK (openOutbox builds it from the config). */
  outbox: Outbox;
  /** Backlog replay rate, messages per second of clock time. */
  replayPerS: number;
  /** Called with the raw payload of every message on the host's command topic. */
  onCommand: (payload: Buffer) => void;
}

export interface AgentLinkStats {
  connected: boolean;
  /** Messages waiting for the broker, not in flight (the outbox's backlog). */
  queued: number;
  inFlight: number;
  /** Bytes the outbox holds. */
  backlogBytes: number;
  /** Telemetry messages dropped by the outbox's age or size bound (since this agent started). */
  dropped: number;
  /** Damaged records the outbox cut off or skipped (torn writes after a crash or power loss). */
  tornRecords: number;
  /** Messages the broker acknowledged. */
  published: number;
  /** Backlog messages sent again (telemetry among them marked historical). */
  replayed: number;
  connects: number;
}

/** Most messages sent without a PUBACK yet; the rest wait in the outbox. */
const MAX_IN_FLIGHT = 64;
/** How often the outbox persists its ack cursor, fsyncs and enforces its bounds. */
const OUTBOX_MAINTAIN_MS = 1000;

/**
 * The agent's MQTT session: retained birth and Last Will on the state topic, QoS 1 telemetry and acks,
 * command subscription. Every telemetry message and ack is appended to the outbox before it is published and
 * leaves it only after the broker's PUBACK. A message produced while connected goes out at once (live); one that
 * did not get through on its first try (broker away, connection lost in flight, or found in the outbox at start)
 * is backlog, replayed oldest first at replayPerS with telemetry marked historical. Duplicates after a lost
 * PUBACK or a restart are absorbed by the controller's (host, boot, seq) key.
 * Each connection attempt uses a fresh client so no state of a dead connection leaks into the next.
 */
export class AgentLink {
  private client: MqttClient | undefined;
  private generation = 0;
  private readonly outbox: Outbox;
  /** Outbox ids sent and not acknowledged yet. */
  private readonly inFlight = new Set<number>();
  private readonly pacer: ReplayPacer;
  /** The next backlog message, read but waiting for the pacer. */
  private pendingReplay: OutboxRecord | undefined;
  private replayTimer: TimerHandle | undefined;
  private maintainTimer: TimerHandle | undefined;
  private readonly backoff: ReconnectBackoff;
  private reconnectTimer: TimerHandle | undefined;
  private birth: HostState | undefined;
  private stopping = false;
  private closed = false;
  private published = 0;
  private replayed = 0;
  private connects = 0;
  private readonly topics: { telemetry: string; state: string; cmd: string; ack: string };
  /** CA, client certificate and key from the broker block, read once so a bad path fails at start. */
  private readonly tls: BrokerTlsOptions;

  constructor(private readonly options: AgentLinkOptions) {
    this.outbox = options.outbox;
    this.pacer = new ReplayPacer(options.clock, options.replayPerS);
    this.backoff = new ReconnectBackoff(options.broker.reconnectMinMs, options.broker.reconnectMaxMs);
    this.tls = brokerTlsOptions(options.broker);
    this.topics = {
      telemetry: hostTopic(options.hostId, "telemetry"),
      state: hostTopic(options.hostId, "state"),
      cmd: hostTopic(options.hostId, "cmd"),
      ack: hostTopic(options.hostId, "ack"),
    };
  }

  /** Connects (and keeps reconnecting); the birth is published retained on every connect. */
  start(birth: HostState): void {
    this.birth = birth;
    this.scheduleMaintenance();
    this.connect();
  }

  updateBirth(birth: HostState): void {
    this.birth = birth;
    const client = this.client;
    if (client?.connected) client.publish(this.topics.state, encode(birth), { qos: 1, retain: true });
  }

  publishTelemetry(telemetry: Telemetry): void {
    this.appendAndSend("telemetry", this.topics.telemetry, encode(telemetry));
  }

  publishAck(ack: Ack): void {
    this.appendAndSend("ack", this.topics.ack, encode(ack));
  }

  stats(): AgentLinkStats {
    const outbox = this.outbox.stats();
    return {
      connected: this.client?.connected ?? false,
      queued: Math.max(0, outbox.backlog - this.inFlight.size),
      inFlight: this.inFlight.size,
      backlogBytes: outbox.backlogBytes,
      dropped: outbox.dropped,
      tornRecords: outbox.tornRecords,
      published: this.published,
      replayed: this.replayed,
      connects: this.connects,
    };
  }

  /**
   * Publishes the offline state (retained), waits up to flushMs for messages in flight (and, with a memory
   * outbox, for the backlog), disconnects and closes the outbox. A disk outbox keeps its backlog for the next start.
   */
  async stop(offline: HostState, flushMs = 2000): Promise<void> {
    this.clearTimers();
    const client = this.client;
    if (!client?.connected) {
      this.stopping = true;
      client?.end(true);
      this.closeOutbox();
      return;
    }
    await this.waitForDrain(flushMs);
    this.stopping = true;
    await new Promise<void>((resolve) => {
      client.publish(this.topics.state, encode(offline), { qos: 1, retain: true }, () => resolve());
    });
    await client.endAsync();
    this.closeOutbox();
  }

  private clearTimers(): void {
    const { clock } = this.options;
    for (const timer of [this.reconnectTimer, this.replayTimer, this.maintainTimer]) if (timer) clock.clearTimeout(timer);
    this.reconnectTimer = undefined;
    this.replayTimer = undefined;
    this.maintainTimer = undefined;
  }

  private waitForDrain(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const startedMs = Date.now();
      const poll = (): void => {
        const drained = this.inFlight.size === 0 && (this.outbox.durable || this.outbox.stats().backlog === 0);
        if (drained || Date.now() - startedMs > timeoutMs || !this.client?.connected) {
          resolve();
          return;
        }
        setTimeout(poll, 10);
      };
      poll();
    });
  }

  private closeOutbox(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.outbox.close();
    } catch (err) {
      this.options.logger.error({ err: err instanceof Error ? err.message : String(err) }, "outbox did not close cleanly; the next start recovers it");
    }
  }

  /** Write-ahead: the message is in the outbox before it is published; a live one goes out at once. */
  private appendAndSend(kind: OutboxMessageKind, topic: string, payload: string): void {
    if (this.closed) return;
    const record = this.outbox.append(kind, topic, payload);
    const client = this.client;
    if (!client?.connected || this.stopping || this.inFlight.size >= MAX_IN_FLIGHT) return;
    if (record) this.send(client, record, false);
    // Not stored (disk full or failing): still try once, without a copy to fall back on.
    else client.publish(topic, payload, { qos: 1 });
  }

  private send(client: MqttClient, record: OutboxRecord, replay: boolean): void {
    const generation = this.generation;
    const payload = replay && record.kind === "telemetry" ? markHistorical(record.payload) : record.payload;
    this.inFlight.add(record.id);
    client.publish(record.topic, payload, { qos: 1 }, (err) => {
      if (generation !== this.generation) return;
      if (!this.inFlight.delete(record.id)) return;
      if (err) {
        // Left in the outbox: read it again from the oldest unacknowledged message.
        this.rewindBacklog();
      } else {
        this.outbox.acknowledge(record.id);
        this.published++;
      }
      this.pump();
    });
  }

  private rewindBacklog(): void {
    this.pendingReplay = undefined;
    this.outbox.rewind();
  }

  private scheduleMaintenance(): void {
    this.maintainTimer = this.options.clock.setTimeout(() => {
      this.maintainTimer = undefined;
      try {
        this.outbox.maintain();
      } catch (err) {
        this.options.logger.error({ err: err instanceof Error ? err.message : String(err) }, "outbox upkeep failed; retrying");
      }
      if (!this.closed) this.scheduleMaintenance();
    }, OUTBOX_MAINTAIN_MS);
  }

  private connect(): void {
    const { broker, hostId, boot, clock, logger } = this.options;
    const generation = ++this.generation;
    const will: HostState = { v: 1, host: hostId, boot, online: false, ts: clock.nowMs(), reason: "lost" };
    const clientOptions: IClientOptions = {
      clientId: broker.clientId ?? `coolfleet-agent-${hostId}`,
      protocolVersion: broker.protocolVersion,
      keepalive: broker.keepaliveS,
      clean: true,
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      will: { topic: this.topics.state, payload: Buffer.from(encode(will)), qos: 1, retain: true },
      ...(broker.username ? { username: broker.username } : {}),
      ...(this.options.password !== undefined ? { password: this.options.password } : {}),
      ...this.tls,
    };
    const client = mqtt.connect(broker.url, clientOptions);
    this.client = client;

    client.on("connect", () => {
      if (generation !== this.generation) return;
      this.connects++;
      this.backoff.reset();
      const backlog = this.outbox.stats().backlog;
      logger.info({ broker: broker.url, backlog }, "connected to broker");
      if (this.birth) client.publish(this.topics.state, encode(this.birth), { qos: 1, retain: true });
      client.subscribe(this.topics.cmd, { qos: 1 }, (err) => {
        if (err) logger.error({ err: err.message, topic: this.topics.cmd }, "command subscription refused");
      });
      this.rewindBacklog();
      this.pump();
    });
    client.on("message", (topic, payload) => {
      if (generation === this.generation && topic === this.topics.cmd) this.options.onCommand(payload);
    });
    client.on("error", (err) => {
      logger.warn({ err: err.message, broker: broker.url }, "broker connection error");
    });
    client.on("close", () => {
      if (generation !== this.generation) return;
      this.onConnectionLost(client);
    });
  }

  private onConnectionLost(client: MqttClient): void {
    // Whatever was sent without a PUBACK may not have arrived: it is still in the outbox and is replayed after reconnecting.
    this.inFlight.clear();
    this.rewindBacklog();
    if (this.replayTimer) this.options.clock.clearTimeout(this.replayTimer);
    this.replayTimer = undefined;
    this.generation++;
    client.removeAllListeners("close");
    client.on("error", () => undefined);
    client.end(true);
    if (this.stopping) return;
    const delayMs = this.backoff.nextDelayMs();
    this.options.logger.info({ delayMs, backlog: this.outbox.stats().backlog }, "broker connection lost; reconnecting");
    this.reconnectTimer = this.options.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delayMs);
  }

  /** Replays backlog, oldest first, as fast as the pacer and the in-flight window allow. */
  private pump(): void {
    const client = this.client;
    if (!client?.connected || this.stopping || this.closed) return;
    while (this.inFlight.size < MAX_IN_FLIGHT) {
      const record = this.pendingReplay ?? this.outbox.nextBacklog((id) => this.inFlight.has(id));
      this.pendingReplay = undefined;
      if (!record) return;
      const waitMs = this.pacer.waitMs();
      if (waitMs > 0) {
        this.pendingReplay = record;
        this.replayTimer ??= this.options.clock.setTimeout(() => {
          this.replayTimer = undefined;
          this.pump();
        }, waitMs);
        return;
      }
      this.pacer.spend();
      this.replayed++;
      this.send(client, record, true);
    }
  }
}
