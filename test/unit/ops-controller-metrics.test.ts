import { createRequire } from "node:module";
import { afterEach, describe, expect, it } from "vitest";
import type { CommandIssuerStats } from "../../src/controller/commands/index.js";
import type { IngestStats } from "../../src/controller/ingest/index.js";
import { emptyRejectCounts } from "../../src/controller/ingest/reject-reason.js";
import type { AckMatch } from "../../src/controller/store/telemetry-store.js";
import { observeAckLatency } from "../../src/ops/ack-latency-store.js";
import { ControllerMetrics, type ControllerMetricsSource } from "../../src/ops/controller-metrics.js";
import { EnergyIntegrator } from "../../src/ops/energy-integrator.js";
import type { Ack } from "../../src/protocol/index.js";
import { FakeReadModel, hostView, telemetryPoint } from "../fixtures/fake-read-model.js";

/** What parse-prometheus-text-format returns (it ships no types). */
interface MetricFamily {
  name: string;
  help: string;
  type: "GAUGE" | "COUNTER" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string; sum?: string }>;
}
const parsePrometheus = createRequire(import.meta.url)("parse-prometheus-text-format") as (text: string) => MetricFamily[];

function ingestStats(overrides: Partial<IngestStats> = {}): IngestStats {
  return { accepted: 120, duplicates: 3, seqGaps: 5, lateArrivals: 1, rejected: { ...emptyRejectCounts(), bad_json: 2, schema: 1 }, stored: 118, pending: 2, pendingWrites: 0, staleStates: 0, repeatAcks: 0, failedWrites: 0, ...overrides };
}

function commandStats(overrides: Partial<CommandIssuerStats> = {}): CommandIssuerStats {
  return { sent: 40, skipped: 7, acked: { applied: 35, rejected: 1, expired: 2, superseded: 0 }, lost: 1, ackLatencyP50Ms: 12, ackLatencyP99Ms: 80, outstanding: 1, ...overrides };
}

class FakeSource implements ControllerMetricsSource {
  readonly model = new FakeReadModel();
  ingest = ingestStats();
  commands = commandStats();
  readonly policyId = "b2";
  hosts() {
    return this.model.hosts();
  }
  ingestStats() {
    return this.ingest;
  }
  commandStats() {
    return this.commands;
  }
  subscribe(listener: Parameters<FakeReadModel["subscribe"]>[0]) {
    return this.model.subscribe(listener);
  }
}

const open: ControllerMetrics[] = [];
function metricsOf(source: FakeSource): ControllerMetrics {
  const metrics = new ControllerMetrics(source, { processMetrics: false });
  open.push(metrics);
  return metrics;
}
afterEach(() => {
  for (const m of open.splice(0)) m.close();
});

async function scrape(metrics: ControllerMetrics): Promise<Map<string, MetricFamily>> {
  return new Map(parsePrometheus(await metrics.renderMetrics()).map((f) => [f.name, f]));
}

function sample(families: Map<string, MetricFamily>, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = families.get(name);
  const found = family?.metrics.find((m) => Object.entries(labels).every(([k, v]) => m.labels?.[k] === v));
  return found?.value === undefined ? undefined : Number(found.value);
}

/** Every metric the Grafana dashboard and docs may rely on, with its type and labels. */
const EXPECTED_METRICS: Array<[string, MetricFamily["type"], string[]]> = [
  ["coolfleet_host_temperature_celsius", "GAUGE", ["host", "sensor", "role"]],
  ["coolfleet_host_temperature_target_celsius", "GAUGE", ["host", "sensor", "role"]],
  ["coolfleet_host_temperature_critical_celsius", "GAUGE", ["host", "sensor", "role"]],
  ["coolfleet_host_fan_percent", "GAUGE", ["host"]],
  ["coolfleet_host_pump_percent", "GAUGE", ["host"]],
  ["coolfleet_host_power_watts", "GAUGE", ["host"]],
  ["coolfleet_host_cooling_power_watts", "GAUGE", ["host"]],
  ["coolfleet_host_cpu_utilisation_percent", "GAUGE", ["host"]],
  ["coolfleet_host_state", "GAUGE", ["host", "state"]],
  ["coolfleet_host_control_mode", "GAUGE", ["host", "mode"]],
  ["coolfleet_host_online", "GAUGE", ["host"]],
  ["coolfleet_host_last_seen_timestamp_seconds", "GAUGE", ["host"]],
  ["coolfleet_host_energy_joules_total", "COUNTER", ["host"]],
  ["coolfleet_commands_sent_total", "COUNTER", []],
  ["coolfleet_commands_acked_total", "COUNTER", ["status"]],
  ["coolfleet_commands_skipped_total", "COUNTER", []],
  ["coolfleet_commands_lost_total", "COUNTER", []],
  ["coolfleet_commands_outstanding", "GAUGE", []],
  ["coolfleet_command_ack_latency_seconds", "HISTOGRAM", []],
  ["coolfleet_ingest_accepted_total", "COUNTER", []],
  ["coolfleet_ingest_duplicates_total", "COUNTER", []],
  ["coolfleet_ingest_seq_gaps_total", "COUNTER", []],
  ["coolfleet_ingest_late_arrivals_total", "COUNTER", []],
  ["coolfleet_ingest_stored_total", "COUNTER", []],
  ["coolfleet_ingest_rejected_total", "COUNTER", ["reason"]],
  ["coolfleet_ingest_pending", "GAUGE", []],
  ["coolfleet_state_transitions_total", "COUNTER", ["from", "to"]],
  ["coolfleet_controller_info", "GAUGE", ["version", "policy"]],
];

describe("controller metrics (/metrics)", () => {
  it("exposes every metric with node_exporter-style names, its type, help and labels", async () => {
    const source = new FakeSource();
    source.model.addHost(hostView("r740-1", { pumpPct: 60, capabilities: { fans: { channels: 6, tier: "full", minPct: 20, maxPct: 100, maxPowerW: 72 }, maxLeaseMs: 30_000 } })).addHost(hostView("r740-2", { online: false, state: "Error", mode: "failsafe" }));
    const metrics = metricsOf(source);
    source.model.emit({ type: "transition", transition: { hostId: "r740-2", from: "Running", to: "Error", cause: "sensor failure", atMs: 1 } });
    source.model.emit({ type: "telemetry", hostId: "r740-1", point: telemetryPoint(1_000, 1) });
    source.model.emit({ type: "telemetry", hostId: "r740-1", point: telemetryPoint(2_000, 2) });
    metrics.observeAckLatencyMs(30);
    const families = await scrape(metrics);

    for (const [name, type, labels] of EXPECTED_METRICS) {
      const family = families.get(name);
      expect(family, name).toBeDefined();
      expect(family!.type, name).toBe(type);
      expect(family!.help.length, `${name} help`).toBeGreaterThan(10);
      if (type === "HISTOGRAM") continue;
      expect(family!.metrics.length, `${name} samples`).toBeGreaterThan(0);
      for (const m of family!.metrics) expect(Object.keys(m.labels ?? {}).sort(), name).toEqual([...labels].sort());
    }
    expect(metrics.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });

  it("reads host gauges from the read model on each scrape, and drops hosts that are gone", async () => {
    const source = new FakeSource();
    source.model.addHost(hostView("a", { pumpPct: 60, temperatures: [
      { id: "cpu0", role: "cpu", tempC: 71.5, quality: "ok", targetC: 85, criticalC: 95, required: true },
      { id: "stuck", role: "drive", tempC: 40, quality: "stuck", targetC: 45, criticalC: 55, required: false },
    ] }));
    source.model.addHost(hostView("b", { state: "Cooling", fanPct: 80, powerW: null, capabilities: { fans: { channels: 6, tier: "full", minPct: 20, maxPct: 100, maxPowerW: 72 }, maxLeaseMs: 30_000 } }));
    const metrics = metricsOf(source);
    let f = await scrape(metrics);
    expect(sample(f, "coolfleet_host_temperature_celsius", { host: "a", sensor: "cpu0", role: "cpu" })).toBe(71.5);
    // An untrusted reading is not exported as a temperature (it would page someone for a broken sensor).
    expect(sample(f, "coolfleet_host_temperature_celsius", { host: "a", sensor: "stuck" })).toBeUndefined();
    expect(sample(f, "coolfleet_host_temperature_critical_celsius", { host: "a", sensor: "stuck" })).toBe(55);
    expect(sample(f, "coolfleet_host_fan_percent", { host: "b" })).toBe(80);
    expect(sample(f, "coolfleet_host_pump_percent", { host: "a" })).toBe(60);
    expect(sample(f, "coolfleet_host_pump_percent", { host: "b" })).toBeUndefined();
    expect(sample(f, "coolfleet_host_power_watts", { host: "a" })).toBe(410);
    expect(sample(f, "coolfleet_host_power_watts", { host: "b" })).toBeUndefined();
    // Cooling power: b announces its fans' 72 W (80 % → 0.512 × 72), a announces no watts.
    expect(sample(f, "coolfleet_host_cooling_power_watts", { host: "b" })).toBeCloseTo(36.864, 6);
    expect(sample(f, "coolfleet_host_cooling_power_watts", { host: "a" })).toBeUndefined();
    expect(sample(f, "coolfleet_host_state", { host: "b", state: "Cooling" })).toBe(1);
    expect(sample(f, "coolfleet_host_state", { host: "b", state: "Running" })).toBe(0);
    expect(f.get("coolfleet_host_state")!.metrics.filter((m) => m.labels?.["host"] === "a")).toHaveLength(7);
    expect(sample(f, "coolfleet_host_control_mode", { host: "a", mode: "remote" })).toBe(1);
    expect(sample(f, "coolfleet_host_online", { host: "a" })).toBe(1);
    expect(sample(f, "coolfleet_host_last_seen_timestamp_seconds", { host: "a" })).toBe(1_700_000_000);

    source.model.views.delete("b");
    f = await scrape(metrics);
    expect(sample(f, "coolfleet_host_fan_percent", { host: "b" })).toBeUndefined();
    expect(sample(f, "coolfleet_host_state", { host: "b", state: "Cooling" })).toBeUndefined();
  });

  it("mirrors the controller's running totals as counters", async () => {
    const source = new FakeSource();
    const metrics = metricsOf(source);
    let f = await scrape(metrics);
    expect(sample(f, "coolfleet_commands_sent_total")).toBe(40);
    expect(sample(f, "coolfleet_commands_acked_total", { status: "applied" })).toBe(35);
    expect(sample(f, "coolfleet_commands_acked_total", { status: "superseded" })).toBe(0);
    expect(sample(f, "coolfleet_ingest_accepted_total")).toBe(120);
    expect(sample(f, "coolfleet_ingest_duplicates_total")).toBe(3);
    expect(sample(f, "coolfleet_ingest_seq_gaps_total")).toBe(5);
    expect(sample(f, "coolfleet_ingest_late_arrivals_total")).toBe(1);
    expect(sample(f, "coolfleet_ingest_rejected_total", { reason: "bad_json" })).toBe(2);
    expect(sample(f, "coolfleet_ingest_rejected_total", { reason: "overload" })).toBe(0);
    expect(sample(f, "coolfleet_commands_outstanding")).toBe(1);
    expect(sample(f, "coolfleet_controller_info", { policy: "b2" })).toBe(1);

    source.commands = commandStats({ sent: 41 });
    source.ingest = ingestStats({ accepted: 130 });
    f = await scrape(metrics);
    expect(sample(f, "coolfleet_commands_sent_total")).toBe(41);
    expect(sample(f, "coolfleet_ingest_accepted_total")).toBe(130);
  });

  it("counts state transitions by from and to, from the controller's events", async () => {
    const source = new FakeSource();
    const metrics = metricsOf(source);
    const transition = (from: "Running" | "Cooling", to: "Running" | "Cooling") =>
      source.model.emit({ type: "transition", transition: { hostId: "a", from, to, cause: "test", atMs: 0 } });
    transition("Running", "Cooling");
    transition("Cooling", "Running");
    transition("Running", "Cooling");
    const f = await scrape(metrics);
    expect(sample(f, "coolfleet_state_transitions_total", { from: "Running", to: "Cooling" })).toBe(2);
    expect(sample(f, "coolfleet_state_transitions_total", { from: "Cooling", to: "Running" })).toBe(1);
    metrics.close();
    expect(source.model.listenerCount).toBe(0);
  });

  it("integrates each host's power over its telemetry timestamps into joules", async () => {
    const source = new FakeSource();
    const metrics = metricsOf(source);
    const power = (ts: number, seq: number, watts: number, boot = "boot-0001") =>
      source.model.emit({
        type: "telemetry",
        hostId: "a",
        point: telemetryPoint(ts, seq, { boot, readings: [{ id: "power_meter:power1", kind: "power", value: watts, unit: "W", quality: "ok" }] }),
      });
    power(0, 0, 400);
    power(1_000, 1, 400); // 400 J
    power(3_000, 2, 600); // 2 s at a mean of 500 W: 1000 J
    power(2_000, 3, 9_999); // late: ignored
    power(60_000, 4, 600); // a 57 s gap: not filled in
    power(61_000, 5, 600); // 600 J
    power(62_000, 0, 100, "boot-0002"); // new boot: starts over
    const f = await scrape(metrics);
    expect(sample(f, "coolfleet_host_energy_joules_total", { host: "a" })).toBe(2000);
  });

  it("histograms ack latency in seconds, fed by the store's first acks", async () => {
    const source = new FakeSource();
    const metrics = metricsOf(source);
    const outcomes: AckMatch[] = [
      { outcome: "first", latencyMs: 20 },
      { outcome: "repeat", latencyMs: undefined },
      { outcome: "first", latencyMs: 700 },
      { outcome: "unknown", latencyMs: undefined },
    ];
    const store = {
      path: "/tmp/x.db",
      recordAck: (_ack: Ack, _receivedAtMs: number) => Promise.resolve(outcomes.shift()!),
      countTelemetry() {
        return Promise.resolve(this.path.length);
      },
    };
    const observed = observeAckLatency(store, (ms) => metrics.observeAckLatencyMs(ms));
    const ack = {} as Ack;
    for (let i = 0; i < 4; i++) await observed.recordAck(ack, 0);
    // Everything else passes through, bound to the real store.
    expect(observed.path).toBe("/tmp/x.db");
    expect(await observed.countTelemetry()).toBe(9);

    const histogram = (await scrape(metrics)).get("coolfleet_command_ack_latency_seconds")!.metrics[0]!;
    expect(Number(histogram.count)).toBe(2);
    expect(Number(histogram.sum)).toBeCloseTo(0.72, 6);
    expect(Number(histogram.buckets!["0.025"])).toBe(1);
    expect(Number(histogram.buckets!["1"])).toBe(2);
  });

  it("adds process_* and nodejs_* metrics unless told not to", async () => {
    const source = new FakeSource();
    const metrics = new ControllerMetrics(source);
    open.push(metrics);
    const f = await scrape(metrics);
    expect(f.get("process_cpu_seconds_total")?.type).toBe("COUNTER");
    expect(f.get("process_resident_memory_bytes")?.type).toBe("GAUGE");
  });
});

describe("EnergyIntegrator", () => {
  it("ignores missing, negative and non-finite power", () => {
    const e = new EnergyIntegrator();
    expect(e.add("a", "b", 0, 100)).toBe(0);
    expect(e.add("a", "b", 1000, null)).toBe(0);
    expect(e.add("a", "b", 2000, Number.NaN)).toBe(0);
    expect(e.add("a", "b", 3000, 100)).toBe(300);
  });
});
