import mqtt, { type MqttClient } from "mqtt";
import type { ControllerConfig } from "../config/controller-schema.js";
import type { Clock, TimerHandle } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import { brokerTlsOptions } from "../config/broker-tls.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import { encode, fleetFilter, hostTopic, type Command } from "../protocol/index.js";
import { CommandIssuer } from "./commands/index.js";
import { FleetEvents } from "./fleet-events.js";
import { FleetRegistry, type RegistryChange } from "./fleet-registry.js";
import type { FleetReadModel, FleetSummary, ReadModelHost, StateTransitionRecord } from "./http/read-model.js";
import { TelemetryIngest } from "./ingest/index.js";
import { scheduleMaintenance } from "./jobs/index.js";
import { B1StepwisePolicy, B2CascadePidPolicy, Planner, type PlanningPolicy } from "./planner/index.js";
import type { TelemetryStore } from "./store/index.js";
import { telemetryPoint } from "./telemetry-point.js";
import { fleetCoolingW } from "./cooling-power.js";
import { HOST_STATES, type HostStateName, type HostView } from "./types.js";

export interface FleetControllerDeps {
  config: ControllerConfig;
  clock: Clock;
  logger: Logger;
  store: TelemetryStore;
  password?: string;
  /** Overrides the policy the config names (the benchmark runs several). */
  policy?: PlanningPolicy;
}

/** A host is taken for lost when it has been silent this many of its control periods. */
const SILENT_AFTER_PERIODS = 5;
const HOSTS_EVENT_MS = 1000;
const HOUR_MS = 3_600_000;

export function createPolicy(config: ControllerConfig["planner"]): PlanningPolicy {
  if (config.policy === "mpc") {
    throw new CoolfleetError(ErrorCode.ConfigInvalid, "planner.policy mpc needs its thermal model: start the controller through startControllerService, which loads it");
  }
  return config.policy === "b1" ? new B1StepwisePolicy({ leasePeriods: config.leasePeriods }) : new B2CascadePidPolicy(config.periodMs, { leasePeriods: config.leasePeriods });
}

/**
 * The site controller: ingests every host's telemetry, tracks each host's state machine, plans set-points on a
 * fixed period and sends them as expiring commands. It serves the read model the HTTP API and dashboard use.
 */
export class FleetController implements FleetReadModel {
  private readonly ingest: TelemetryIngest;
  private readonly registry = new FleetRegistry();
  private readonly planner: Planner;
  private readonly issuer: CommandIssuer;
  /** Hosts with telemetry not yet planned on. */
  private readonly dirty = new Set<string>();
  private batchTimer: TimerHandle | undefined;
  private readonly events = new FleetEvents();
  private client: MqttClient | undefined;
  private planTimer: TimerHandle | undefined;
  private hostsTimer: TimerHandle | undefined;
  private stopMaintenance: (() => Promise<void>) | undefined;
  private transitionCount = 0;
  private storeErrors = 0;
  private stopped = false;

  constructor(private readonly deps: FleetControllerDeps) {
    this.ingest = new TelemetryIngest({ store: deps.store, clock: deps.clock, logger: deps.logger.child({ part: "ingest" }) });
    this.planner = new Planner(deps.policy ?? createPolicy(deps.config.planner), { leasePeriods: deps.config.planner.leasePeriods });
    this.issuer = new CommandIssuer({ skipUnchanged: deps.config.planner.skipUnchanged });
    this.ingest.onHostState((state) => {
      this.handleChanges(this.registry.applyHostState(state, deps.clock.nowMs(), true));
    });
    this.ingest.onTelemetry((telemetry) => {
      // Replayed from an agent's outbox: stored, but too old to plan on or to move the host's state.
      if (telemetry.historical) return;
      const { features, changes } = this.registry.applyTelemetry(telemetry, deps.clock.nowMs());
      if (features) this.storeInBackground("features", deps.store.appendFeatures([features]));
      this.handleChanges(changes);
      this.events.emit({ type: "telemetry", hostId: telemetry.host, point: telemetryPoint(telemetry) });
      this.dirty.add(telemetry.host);
      this.scheduleBatch();
    });
    this.ingest.onAck((ack) => {
      this.issuer.onAck(ack, deps.clock.nowMs());
    });
  }

  get policyId(): string {
    return this.planner.policy.id;
  }

  /** Connects to the broker, subscribes to the fleet and starts planning and maintenance. */
  async start(): Promise<void> {
    const { config, logger, password } = this.deps;
    const tls = brokerTlsOptions(config.broker);
    const client = mqtt.connect(config.broker.url, {
      clientId: config.broker.clientId,
      protocolVersion: config.broker.protocolVersion,
      keepalive: config.broker.keepaliveS,
      // A persistent session: the broker keeps QoS 1 telemetry for us while we restart.
      clean: false,
      reconnectPeriod: 1000,
      ...(config.broker.username ? { username: config.broker.username } : {}),
      ...(password !== undefined ? { password } : {}),
      ...tls,
    });
    this.client = client;
    // mqtt.js sends the PUBACK of a QoS 1 message when handleMessage calls back: only once the store has it,
    // so a controller killed mid-ingest loses nothing the broker counts as delivered (the rest is redelivered
    // to this persistent session and deduplicated). mqtt.js handles one message at a time in this path.
    client.handleMessage = (packet, done) => {
      this.ingest.handleDurably(packet.topic, packet.payload).then(
        () => done(),
        (err: unknown) => done(err instanceof Error ? err : new Error(String(err))),
      );
    };
    client.on("error", (err) => logger.warn({ err: err.message, broker: config.broker.url }, "broker connection error"));
    client.on("connect", (connack) => {
      logger.info({ broker: config.broker.url, sessionPresent: connack.sessionPresent }, "controller connected to broker");
      // Subscribing on every connect is harmless with a persistent session and needed when the broker lost it.
      client.subscribe([fleetFilter("telemetry"), fleetFilter("state"), fleetFilter("ack")], { qos: 1 }, (err) => {
        if (err) logger.error({ err: err.message }, "fleet subscription refused");
      });
    });
    client.on("offline", () => logger.warn({ broker: config.broker.url }, "controller lost the broker; reconnecting"));
    await new Promise<void>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      client.once("connect", () => {
        client.off("error", onError);
        resolve();
      });
      client.once("error", onError);
    });
    this.stopMaintenance = scheduleMaintenance(
      this.deps.store,
      {
        rollUpCron: config.store.rollUpCron,
        retentionCron: config.store.retentionCron,
        rawRetentionMs: config.store.rawRetentionHours * HOUR_MS,
        rollUpRetentionMs: config.store.rollUpRetentionHours * HOUR_MS,
        featureRetentionMs: config.store.featureRetentionHours * HOUR_MS,
        commandRetentionMs: config.store.commandRetentionHours * HOUR_MS,
        transitionRetentionMs: config.store.transitionRetentionHours * HOUR_MS,
      },
      logger.child({ part: "maintenance" }),
      this.deps.clock,
    );
    this.scheduleHousekeeping();
    this.scheduleHostsEvent();
    logger.info({ policy: this.policyId, periodMs: config.planner.periodMs }, "controller started");
  }

  /** Silence checks once per period; planning itself follows telemetry (planBatch). */
  private scheduleHousekeeping(): void {
    if (this.stopped) return;
    this.planTimer = this.deps.clock.setTimeout(() => {
      this.handleChanges(this.registry.checkSilence(this.deps.clock.nowMs(), SILENT_AFTER_PERIODS));
      this.scheduleHousekeeping();
    }, this.deps.config.planner.periodMs);
  }

  /** Telemetry within batchMs is planned together: low telemetry→command latency, and still batched. */
  private scheduleBatch(): void {
    if (this.stopped || this.batchTimer) return;
    this.batchTimer = this.deps.clock.setTimeout(() => {
      this.batchTimer = undefined;
      this.planBatch();
    }, this.deps.config.planner.batchMs);
  }

  private scheduleHostsEvent(): void {
    if (this.stopped) return;
    this.hostsTimer = this.deps.clock.setTimeout(() => {
      this.events.emit({ type: "hosts", hosts: this.hosts() });
      this.scheduleHostsEvent();
    }, HOSTS_EVENT_MS);
  }

  /** One planning round for the hosts with fresh telemetry: the policy's proposals, commands out. Never throws. */
  planBatch(): Command[] {
    const { clock, logger } = this.deps;
    const nowMs = clock.nowMs();
    const due = new Set(this.dirty);
    this.dirty.clear();
    try {
      const proposals = this.planner.plan(nowMs, this.registry.views(), due);
      const commands = this.issuer.issue(proposals, nowMs);
      for (const command of commands) this.publishCommand(command, nowMs);
      return commands;
    } catch (err) {
      logger.error({ err: err instanceof Error ? err.message : String(err) }, "planning round failed; agents keep local control");
      return [];
    }
  }

  private publishCommand(command: Command, nowMs: number): void {
    const client = this.client;
    if (!client?.connected) return;
    // The command's expiry is in its payload, so an MQTT 3.1.1 broker that queues it cannot make it act late.
    client.publish(hostTopic(command.host, "cmd"), encode(command), { qos: 1 });
    this.storeInBackground("command", this.deps.store.recordCommand(command, nowMs));
  }

  private handleChanges(changes: RegistryChange[]): void {
    for (const { hostId, change, atMs } of changes) {
      this.transitionCount++;
      this.deps.logger.info({ host: hostId, from: change.from, to: change.to, cause: change.cause }, "host state changed");
      const transition: StateTransitionRecord = { hostId, from: change.from, to: change.to, cause: change.cause, atMs };
      this.storeInBackground("transition", this.deps.store.recordTransition(transition));
      this.events.emit({ type: "transition", transition });
    }
  }

  private storeInBackground(what: string, write: Promise<unknown>): void {
    write.catch((err: unknown) => {
      this.storeErrors++;
      this.deps.logger.error({ err: err instanceof Error ? err.message : String(err), what }, "store write failed");
    });
  }

  // FleetReadModel ---------------------------------------------------------------------------------------------

  hosts(): ReadModelHost[] {
    return this.registry
      .views()
      .sort((a, b) => a.hostId.localeCompare(b.hostId))
      .map((view) => this.withRoute(view));
  }

  host(hostId: string) {
    const found = this.registry.view(hostId);
    return found ? { ...found, view: this.withRoute(found.view) } : undefined;
  }

  /** The view as the API shows it: with who plans the host now (the registry's cached view is not touched). */
  private withRoute(view: HostView): ReadModelHost {
    return { ...view, plannedBy: this.planner.routeOf(view) };
  }

  async telemetry(hostId: string, fromMs: number, toMs: number, limit: number) {
    return (await this.deps.store.telemetryRange(hostId, fromMs, toMs, limit)).map(telemetryPoint);
  }

  async transitions(hostId: string, fromMs: number, toMs: number): Promise<StateTransitionRecord[]> {
    const rows = await this.deps.store.transitions(hostId, fromMs, toMs);
    return rows.filter((r): r is typeof r & { from: HostStateName } => r.from !== null);
  }

  async summary(): Promise<FleetSummary> {
    const views = this.registry.views();
    const byState = Object.fromEntries(HOST_STATES.map((s) => [s, 0])) as Record<HostStateName, number>;
    for (const view of views) byState[view.state]++;
    const ingest = this.ingest.stats();
    const issued = this.issuer.stats();
    const powers = views.filter((v) => v.online && v.powerW !== null).map((v) => v.powerW!);
    const cooling = fleetCoolingW(views);
    return {
      hosts: views.length,
      online: views.filter((v) => v.online).length,
      byState,
      telemetryStored: await this.deps.store.countTelemetry(),
      telemetryRejected: Object.values(ingest.rejected).reduce((a, b) => a + b, 0),
      telemetryMissing: ingest.seqGaps - ingest.lateArrivals,
      commandsSent: issued.sent,
      commandsAcked: Object.values(issued.acked).reduce((a, b) => a + b, 0),
      ackLatencyP50Ms: issued.ackLatencyP50Ms ?? null,
      ackLatencyP99Ms: issued.ackLatencyP99Ms ?? null,
      transitions: this.transitionCount,
      coolingPowerW: cooling.watts,
      coolingPowerHosts: cooling.hosts,
      serverPowerW: powers.length > 0 ? powers.reduce((a, b) => a + b, 0) : null,
      policy: this.policyId,
    };
  }

  subscribe(listener: Parameters<FleetReadModel["subscribe"]>[0]): () => void {
    return this.events.subscribe(listener);
  }

  ingestStats() {
    return this.ingest.stats();
  }

  commandStats() {
    return this.issuer.stats();
  }

  /** Stops planning, flushes accepted telemetry to the store and disconnects. The store stays open (the caller owns it). */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const { clock } = this.deps;
    if (this.planTimer) clock.clearTimeout(this.planTimer);
    if (this.batchTimer) clock.clearTimeout(this.batchTimer);
    if (this.hostsTimer) clock.clearTimeout(this.hostsTimer);
    await this.client?.endAsync();
    await this.ingest.close();
    await this.stopMaintenance?.();
  }
}
