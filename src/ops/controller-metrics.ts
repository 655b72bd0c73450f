import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { CommandIssuerStats } from "../controller/commands/index.js";
import { estimatedCoolingW } from "../controller/cooling-power.js";
import { hostPowerW } from "../controller/features-readings.js";
import type { FleetEvent } from "../controller/http/read-model.js";
import type { IngestStats } from "../controller/ingest/index.js";
import { HOST_STATES, type HostView } from "../controller/types.js";
import { packageVersion } from "../core/version.js";
import { CONTROL_MODES } from "../protocol/index.js";
import { EnergyIntegrator } from "./energy-integrator.js";

/** What the metrics read from the controller on every scrape; FleetController provides it. */
export interface ControllerMetricsSource {
  hosts(): HostView[];
  ingestStats(): IngestStats;
  commandStats(): CommandIssuerStats;
  subscribe(listener: (event: FleetEvent) => void): () => void;
  readonly policyId: string;
}

export interface ControllerMetricsOptions {
  /** Also export process_* and nodejs_* metrics (default true). */
  processMetrics?: boolean;
}

/** Acks arrive within a control period or two; the buckets resolve that range and the slow tail. */
const ACK_LATENCY_BUCKETS_S = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];

/**
 * The controller's Prometheus metrics, node_exporter-style names with their unit: gauges are read from the
 * controller's read model on each scrape; counters mirror its running totals; the energy counter and state
 * transitions follow its live events; ack latency is observed per ack (see observeAckLatency). GET /metrics
 * returns renderMetrics() with contentType.
 */
export class ControllerMetrics {
  readonly registry = new Registry();
  /** Content-Type of renderMetrics()'s text (Prometheus text format 0.0.4). */
  readonly contentType: string = this.registry.contentType;
  private readonly ackLatency: Histogram;
  private readonly energy: Counter<"host">;
  private readonly transitions: Counter<"from" | "to">;
  private readonly integrator = new EnergyIntegrator();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly source: ControllerMetricsSource,
    options: ControllerMetricsOptions = {},
  ) {
    const registers = [this.registry];
    const hostGauge = <L extends string>(name: string, help: string, labelNames: readonly L[], fill: (gauge: Gauge<L>, hosts: HostView[]) => void): void => {
      new Gauge<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          // Rebuilt on every scrape: a decommissioned host or a vanished sensor must disappear, not stay frozen.
          this.reset();
          fill(this, source.hosts());
        },
      });
    };

    hostGauge("coolfleet_host_temperature_celsius", "Latest trusted reading of each controlled temperature sensor.", ["host", "sensor", "role"], (g, hosts) => {
      for (const h of hosts) for (const t of h.temperatures) if (t.quality === "ok" && t.tempC !== null) g.set({ host: h.hostId, sensor: t.id, role: t.role }, t.tempC);
    });
    hostGauge("coolfleet_host_temperature_target_celsius", "Control target of each controlled temperature sensor.", ["host", "sensor", "role"], (g, hosts) => {
      for (const h of hosts) for (const t of h.temperatures) g.set({ host: h.hostId, sensor: t.id, role: t.role }, t.targetC);
    });
    hostGauge("coolfleet_host_temperature_critical_celsius", "Critical level of each controlled temperature sensor (the agent forces full cooling).", ["host", "sensor", "role"], (g, hosts) => {
      for (const h of hosts) for (const t of h.temperatures) g.set({ host: h.hostId, sensor: t.id, role: t.role }, t.criticalC);
    });
    hostGauge("coolfleet_host_fan_percent", "Fan output the agent applied in its latest telemetry (0-100).", ["host"], (g, hosts) => {
      for (const h of hosts) if (h.fanPct !== undefined) g.set({ host: h.hostId }, h.fanPct);
    });
    hostGauge("coolfleet_host_pump_percent", "Pump output the agent applied in its latest telemetry (0-100), liquid-cooled hosts only.", ["host"], (g, hosts) => {
      for (const h of hosts) if (h.pumpPct !== undefined) g.set({ host: h.hostId }, h.pumpPct);
    });
    hostGauge("coolfleet_host_power_watts", "Latest server power reading of the host.", ["host"], (g, hosts) => {
      for (const h of hosts) if (h.powerW !== null) g.set({ host: h.hostId }, h.powerW);
    });
    hostGauge(
      "coolfleet_host_cooling_power_watts",
      "Fan + pump power of the host, estimated from the watts its birth announces at 100 % by the cube law at its latest outputs; absent for hosts that announce none.",
      ["host"],
      (g, hosts) => {
        for (const h of hosts) {
          const w = estimatedCoolingW(h);
          if (w !== null) g.set({ host: h.hostId }, w);
        }
      },
    );
    hostGauge("coolfleet_host_cpu_utilisation_percent", "Latest CPU utilisation of the host (0-100).", ["host"], (g, hosts) => {
      for (const h of hosts) if (h.cpuUtilPct !== null) g.set({ host: h.hostId }, h.cpuUtilPct);
    });
    hostGauge("coolfleet_host_state", "1 for the host's current state-machine state, 0 for the others.", ["host", "state"], (g, hosts) => {
      for (const h of hosts) for (const state of HOST_STATES) g.set({ host: h.hostId, state }, h.state === state ? 1 : 0);
    });
    hostGauge("coolfleet_host_control_mode", "1 for the agent's current control mode (local, remote, failsafe, override), 0 for the others.", ["host", "mode"], (g, hosts) => {
      for (const h of hosts) if (h.mode !== undefined) for (const mode of CONTROL_MODES) g.set({ host: h.hostId, mode }, h.mode === mode ? 1 : 0);
    });
    hostGauge("coolfleet_host_online", "1 while the host's agent is connected and reporting, else 0.", ["host"], (g, hosts) => {
      for (const h of hosts) g.set({ host: h.hostId }, h.online ? 1 : 0);
    });
    hostGauge("coolfleet_host_last_seen_timestamp_seconds", "When the controller last heard from the host (Unix time).", ["host"], (g, hosts) => {
      for (const h of hosts) if (h.lastSeenMs !== undefined) g.set({ host: h.hostId }, h.lastSeenMs / 1000);
    });

    const total = <L extends string>(name: string, help: string, labelNames: readonly L[], values: () => Array<[Partial<Record<L, string>>, number]>): void => {
      new Counter<L>({
        name,
        help,
        labelNames,
        registers,
        collect() {
          // The controller keeps the running totals; the counter shows them as they are (reset + inc, synchronously).
          this.reset();
          for (const [labels, value] of values()) this.inc(labels, value);
        },
      });
    };
    total("coolfleet_commands_sent_total", "Set-point commands published to agents.", [], () => [[{}, source.commandStats().sent]]);
    total("coolfleet_commands_acked_total", "First acks matched to a command sent, by status.", ["status"], () => Object.entries(source.commandStats().acked).map(([status, n]) => [{ status }, n]));
    total("coolfleet_commands_skipped_total", "Proposals not sent because the host already held the same set-point.", [], () => [[{}, source.commandStats().skipped]]);
    total("coolfleet_commands_lost_total", "Commands given up on: no ack long after they expired.", [], () => [[{}, source.commandStats().lost]]);
    total("coolfleet_ingest_accepted_total", "Valid telemetry messages taken in (not seen before).", [], () => [[{}, source.ingestStats().accepted]]);
    total("coolfleet_ingest_duplicates_total", "Telemetry messages dropped as already seen (QoS 1 redelivery, replays).", [], () => [[{}, source.ingestStats().duplicates]]);
    total("coolfleet_ingest_seq_gaps_total", "Telemetry messages a jump in a host's sequence numbers showed missing (within one boot).", [], () => [[{}, source.ingestStats().seqGaps]]);
    total("coolfleet_ingest_late_arrivals_total", "Of the messages counted in seq_gaps, those that arrived late after all; gaps minus late never arrived.", [], () => [[{}, source.ingestStats().lateArrivals]]);
    total("coolfleet_ingest_stored_total", "Telemetry rows written to the store.", [], () => [[{}, source.ingestStats().stored]]);
    total("coolfleet_ingest_rejected_total", "Messages refused by ingest, by reason.", ["reason"], () => Object.entries(source.ingestStats().rejected).map(([reason, n]) => [{ reason }, n]));

    new Gauge({
      name: "coolfleet_commands_outstanding",
      help: "Commands sent and not yet acked or given up.",
      registers,
      collect() {
        this.set(source.commandStats().outstanding);
      },
    });
    new Gauge({
      name: "coolfleet_ingest_pending",
      help: "Accepted telemetry not yet written to the store.",
      registers,
      collect() {
        this.set(source.ingestStats().pending);
      },
    });
    new Gauge({
      name: "coolfleet_controller_info",
      help: "Always 1; the labels say which coolfleet version and planning policy run.",
      labelNames: ["version", "policy"],
      registers,
      collect() {
        this.reset();
        this.set({ version: packageVersion(), policy: source.policyId }, 1);
      },
    });

    this.ackLatency = new Histogram({
      name: "coolfleet_command_ack_latency_seconds",
      help: "Time from sending a command to receiving its first ack.",
      buckets: ACK_LATENCY_BUCKETS_S,
      registers,
    });
    this.energy = new Counter({
      name: "coolfleet_host_energy_joules_total",
      help: "Server energy: reported power integrated over the host's telemetry timestamps (gaps over 30 s are not filled in).",
      labelNames: ["host"],
      registers,
    });
    this.transitions = new Counter({
      name: "coolfleet_state_transitions_total",
      help: "Host state-machine transitions since the controller started, by from and to state.",
      labelNames: ["from", "to"],
      registers,
    });
    if (options.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
    this.unsubscribe = source.subscribe((event) => this.onEvent(event));
  }

  /** The Prometheus text exposition of every metric, collected now. */
  renderMetrics(): Promise<string> {
    return this.registry.metrics();
  }

  /** One first ack's latency (the store computes it; see observeAckLatency). */
  observeAckLatencyMs(latencyMs: number): void {
    if (Number.isFinite(latencyMs) && latencyMs >= 0) this.ackLatency.observe(latencyMs / 1000);
  }

  /** Stops following the controller's events. */
  close(): void {
    this.unsubscribe();
  }

  private onEvent(event: FleetEvent): void {
    if (event.type === "telemetry") {
      const joules = this.integrator.add(event.hostId, event.point.boot, event.point.ts, hostPowerW(event.point.readings));
      if (joules > 0) this.energy.inc({ host: event.hostId }, joules);
    } else if (event.type === "transition") {
      this.transitions.inc({ from: event.transition.from, to: event.transition.to });
    }
  }
}
