import mqtt, { type IClientOptions, type MqttClient } from "mqtt";
import type { BrokerConfig } from "../config/agent-schema.js";
import type { Clock, TimerHandle } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import { brokerTlsOptions, type BrokerTlsOptions } from "../config/broker-tls.js";
import { encode, hostTopic, type Ack, type HostState, type Telemetry } from "../protocol/index.js";
import { ReconnectBackoff } from "./backoff.js";
import { OutboundQueue, type OutboundMessage } from "./outbound-queue.js";
import type { z } from "zod";

type BrokerSettings = z.infer<typeof BrokerConfig>;

export interface AgentLinkOptions {
  broker: BrokerSettings;
  hostId: string;
  boot: string;
  clock: Clock;
  logger: Logger;
  password?: string;
  /** Called with the raw payload of every message on the host's command topic. */
  onCommand: (payload: Buffer) => void;
}

export interface AgentLinkStats {
  connected: boolean;
  queued: number;
  inFlight: number;
  dropped: number;
  published: number;
  connects: number;
}

/** Most messages sent without a PUBACK yet; the rest wait in the queue. */
const MAX_IN_FLIGHT = 64;

/**
 * The agent's MQTT session: retained birth and Last Will on the state topic, QoS 1 telemetry and acks,
 * command subscription. Every message stays ours until the broker acknowledged it: on a broken connection
 * the unacknowledged ones go back to the front of the queue (duplicates are absorbed by (host, boot, seq)).
 * Each connection attempt uses a fresh client so no state of a dead connection leaks into the next.
 */
export class AgentLink {
  private client: MqttClient | undefined;
  private generation = 0;
  private readonly queue: OutboundQueue;
  private readonly inFlight = new Map<number, OutboundMessage>();
  private nextInFlightId = 1;
  private readonly backoff: ReconnectBackoff;
  private reconnectTimer: TimerHandle | undefined;
  private birth: HostState | undefined;
  private stopping = false;
  private published = 0;
  private connects = 0;
  private readonly topics: { telemetry: string; state: string; cmd: string; ack: string };
  /** CA, client certificate and key from the broker block, read once so a bad path fails at start. */
  private readonly tls: BrokerTlsOptions;

  constructor(private readonly options: AgentLinkOptions) {
    this.queue = new OutboundQueue(options.broker.queueMax);
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
    this.connect();
  }

  updateBirth(birth: HostState): void {
    this.birth = birth;
    const client = this.client;
    if (client?.connected) client.publish(this.topics.state, encode(birth), { qos: 1, retain: true });
  }

  publishTelemetry(telemetry: Telemetry): void {
    this.enqueue({ topic: this.topics.telemetry, payload: encode(telemetry), retain: false, droppable: true });
  }

  publishAck(ack: Ack): void {
    this.enqueue({ topic: this.topics.ack, payload: encode(ack), retain: false, droppable: false });
  }

  stats(): AgentLinkStats {
    return {
      connected: this.client?.connected ?? false,
      queued: this.queue.length,
      inFlight: this.inFlight.size,
      dropped: this.queue.dropped,
      published: this.published,
      connects: this.connects,
    };
  }

  /** Publishes the offline state (retained), waits up to flushMs for queued messages, and disconnects. */
  async stop(offline: HostState, flushMs = 2000): Promise<void> {
    if (this.reconnectTimer) this.options.clock.clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const client = this.client;
    if (!client?.connected) {
      this.stopping = true;
      client?.end(true);
      return;
    }
    await this.waitForDrain(flushMs);
    this.stopping = true;
    await new Promise<void>((resolve) => {
      client.publish(this.topics.state, encode(offline), { qos: 1, retain: true }, () => resolve());
    });
    await client.endAsync();
  }

  private waitForDrain(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const startedMs = Date.now();
      const poll = (): void => {
        if ((this.queue.length === 0 && this.inFlight.size === 0) || Date.now() - startedMs > timeoutMs || !this.client?.connected) {
          resolve();
          return;
        }
        setTimeout(poll, 10);
      };
      poll();
    });
  }

  private enqueue(message: OutboundMessage): void {
    this.queue.push(message);
    this.pump();
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
      logger.info({ broker: broker.url }, "connected to broker");
      if (this.birth) client.publish(this.topics.state, encode(this.birth), { qos: 1, retain: true });
      client.subscribe(this.topics.cmd, { qos: 1 }, (err) => {
        if (err) logger.error({ err: err.message, topic: this.topics.cmd }, "command subscription refused");
      });
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
    // Whatever was sent without a PUBACK may not have arrived: send it again after reconnecting.
    const unacknowledged = [...this.inFlight.values()];
    this.inFlight.clear();
    this.queue.requeueFront(unacknowledged);
    this.generation++;
    client.removeAllListeners("close");
    client.on("error", () => undefined);
    client.end(true);
    if (this.stopping) return;
    const delayMs = this.backoff.nextDelayMs();
    this.options.logger.info({ delayMs, queued: this.queue.length }, "broker connection lost; reconnecting");
    this.reconnectTimer = this.options.clock.setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delayMs);
  }

  private pump(): void {
    const client = this.client;
    if (!client?.connected || this.stopping) return;
    const generation = this.generation;
    while (this.inFlight.size < MAX_IN_FLIGHT) {
      const message = this.queue.shift();
      if (!message) return;
      const id = this.nextInFlightId++;
      this.inFlight.set(id, message);
      client.publish(message.topic, message.payload, { qos: 1, retain: message.retain }, (err) => {
        if (generation !== this.generation) return;
        if (!this.inFlight.delete(id)) return;
        if (err) {
          this.queue.requeueFront([message]);
        } else {
          this.published++;
        }
        this.pump();
      });
    }
  }
}
