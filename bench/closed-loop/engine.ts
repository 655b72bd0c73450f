import { SimHost } from "../../firmware-sim/physics/sim-host.js";
import { solveSteadyState, type HostFaults } from "../../firmware-sim/physics/steady-solver.js";
import type { SimSnapshot } from "../../firmware-sim/physics/types.js";
import { loadProfile, type HostProfile } from "../../firmware-sim/profiles/index.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";
import { Planner } from "../../src/controller/planner/planner.js";
import type { PlanningPolicy } from "../../src/controller/planner/policy.js";
import type { HostView } from "../../src/controller/types.js";
import { PROTOCOL_VERSION, type Telemetry } from "../../src/protocol/index.js";
import { BenchAgent, type AgentDecision } from "./bench-agent.js";
import { BenchControllerHost, type ObjectiveMode } from "./bench-controller-host.js";
import { BenchFirmware } from "./bench-firmware.js";
import { BenchSensors } from "./bench-sensors.js";
import { CPU_TARGET_BELOW_TJMAX_C, HostMetrics, summariseRun, type RunMetrics } from "./metrics.js";
import { hostSeed, type BenchScenario, type HostScenario, type ScheduledFault } from "./scenarios.js";

export const DEFAULT_BENCH_PROFILE = "poweredge-r740-air";
/** Agent timestamps start here (any fixed epoch: runs must not depend on the wall clock). */
const START_MS = 1_767_225_600_000;

/** In place of a policy: no agent, no controller commands — every host's firmware drives its own fans. */
export const FIRMWARE_ONLY = "firmware-only";

export interface ClosedLoopOptions {
  /** A fresh instance per run (policies keep per-host memory), or FIRMWARE_ONLY. */
  policy: PlanningPolicy | typeof FIRMWARE_ONLY;
  scenario: BenchScenario;
  seed: number;
  hosts: number;
  /** Cycled over the hosts; default the PowerEdge R740 (air). */
  profileIds?: readonly string[];
  /** "state": the real state machine picks each host's objective; "energy": Running throughout. */
  objectiveMode?: ObjectiveMode;
  /** Control period = agent period = planning period; default 1 s. */
  periodS?: number;
  /** ±10 % per-host parameter spread (default true). */
  spread?: boolean;
  /** Start every host in equilibrium at this fan % instead of where its firmware curve settles. */
  initialFanPct?: number;
  /** Record host 0's temperatures and outputs each period, for plots. */
  recordTrace?: boolean;
  /** Sees every host every period (training-data capture). */
  observer?: (record: TickRecord) => void;
}

/** What one host did in one period: the view the planner saw, what the agent applied, and the truth after the step. */
export interface TickRecord {
  hostIndex: number;
  tS: number;
  view: HostView;
  fanPct: number;
  pumpPct: number | undefined;
  /** Truth after the step [tS, tS + period]. */
  after: SimSnapshot;
  /** The hottest package as a noise-free (lag-only) sensor read it at tS. */
  cleanCpuC: number;
}

export interface HostTrace {
  tS: number[];
  dieC: number[];
  cpuReadingC: number[];
  fanPct: number[];
  cpuUtil: number[];
  state: string[];
}

export interface ClosedLoopResult {
  metrics: RunMetrics;
  /** Planner wall time per tick divided by the hosts planned, ms: p99 over ticks. */
  decisionMsP99: number;
  /** Whole planner tick (all hosts), ms: p99 over ticks. */
  tickMsP99: number;
  trace?: HostTrace;
}

interface BenchHost {
  index: number;
  profile: HostProfile;
  physics: SimHost;
  sensors: BenchSensors;
  agent: BenchAgent;
  /** Set when the firmware, not the agent, drives the fans (FIRMWARE_ONLY). */
  firmware: BenchFirmware | undefined;
  controller: BenchControllerHost;
  scenario: HostScenario;
  metrics: HostMetrics;
  lastFanPct: number;
}

function buildHost(index: number, options: ClosedLoopOptions, startMs: number, periodMs: number): BenchHost {
  const profileIds = options.profileIds && options.profileIds.length > 0 ? options.profileIds : [DEFAULT_BENCH_PROFILE];
  const profileId = profileIds[index % profileIds.length] ?? DEFAULT_BENCH_PROFILE;
  const profile = loadProfile(profileId);
  const hostId = `bench-${String(index).padStart(4, "0")}`;
  const scenario = options.scenario.forHost(index, options.seed);
  const start = scenario.workload.at(0);
  const physics = new SimHost({
    hostId,
    profile,
    seed: hostSeed(options.seed, index, "physics"),
    spread: options.spread ?? true,
    initial: { cpuUtil: start.cpuUtil, inletC: start.inletC, diskMBps: start.diskMBps, ...(options.initialFanPct !== undefined ? { fanPct: options.initialFanPct } : {}) },
  });
  const config = simAgentConfig(profileId, { hostId, root: "/bench", brokerUrl: "mqtt://127.0.0.1:1883", periodMs });
  const snap = physics.snapshot();
  const agent = new BenchAgent(config, snap.fans[0]?.speedPct ?? 100, snap.liquid?.pumpSpeedPct);
  const firmware = options.policy === FIRMWARE_ONLY ? new BenchFirmware(profile, config, snap.fans[0]?.speedPct ?? 100) : undefined;
  const sensors = new BenchSensors(profile, hostSeed(options.seed, index, "sensors"));
  const controller = new BenchControllerHost(hostId, startMs, periodMs, sensors.manifest(config.temperatures), agent.capabilities(), options.objectiveMode ?? "state");
  const peakDieC = fullFanPeakDieC(physics, scenario, options.scenario.durationS);
  const tjMaxC = physics.params.tjMaxC;
  const metrics = new HostMetrics(tjMaxC, physics.params.drives.map((d) => d.limitC), peakDieC <= tjMaxC - CPU_TARGET_BELOW_TJMAX_C, peakDieC < tjMaxC);
  return { index, profile, physics, sensors, agent, firmware, controller, scenario, metrics, lastFanPct: snap.fans[0]?.speedPct ?? 100 };
}

/**
 * Where this host's hottest die settles at the run's peak load, inlet and disk with every fan at 100 % (+∞ if it
 * runs away) — with the cooling the run leaves it: a fan the scenario kills and a pump it degrades count as failed.
 * At or below the CPU target, the host can hold its target; below Tj max, it need never throttle.
 */
function fullFanPeakDieC(physics: SimHost, scenario: HostScenario, durationS: number): number {
  let peak = { cpuUtil: 0, inletC: Number.NEGATIVE_INFINITY, diskMBps: 0 };
  for (let t = 0; t <= durationS; t += 1) {
    const p = scenario.workload.at(t);
    peak = { cpuUtil: Math.max(peak.cpuUtil, p.cpuUtil), inletC: Math.max(peak.inletC, p.inletC), diskMBps: Math.max(peak.diskMBps, p.diskMBps) };
  }
  const s = solveSteadyState(physics.params, faultsOfRun(physics.faults(), scenario.faults, durationS), { ...peak, fanPct: 100 });
  return s.runaway ? Number.POSITIVE_INFINITY : Math.max(...s.dieC);
}

/** The host's faults once every fan death and pump degradation scheduled inside the run has happened. */
function faultsOfRun(now: HostFaults, scheduled: readonly ScheduledFault[], durationS: number): HostFaults {
  const deadFans = [...now.deadFans];
  let pumpHealth = now.pumpHealth;
  for (const fault of scheduled) {
    if (fault.atS > durationS) continue;
    if (fault.kind === "fan-dead") deadFans[fault.fan] = true;
    if (fault.kind === "pump-degraded") pumpHealth = Math.min(pumpHealth, fault.fraction);
  }
  return { deadFans: Array.from(deadFans, (dead) => dead === true), pumpHealth };
}

function applyFaults(host: BenchHost, tS: number, periodS: number): void {
  const crossed = (atS: number): boolean => atS >= tS && atS < tS + periodS;
  for (const fault of host.scenario.faults) {
    if (fault.kind === "fan-dead" && crossed(fault.atS)) host.physics.setFanDead(fault.fan, true);
    if (fault.kind === "pump-degraded" && crossed(fault.atS)) host.physics.setPumpDegraded(fault.fraction);
    if (fault.kind === "sensor-dropout") {
      if (crossed(fault.atS)) host.sensors.setCpuDropout(0, true);
      if (crossed(fault.untilS)) host.sensors.setCpuDropout(0, false);
    }
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? 0;
}

/**
 * One policy on one simulated fleet for one workload and seed, faster than real time and without MQTT: each period
 * the sensors sweep the physics, the agent decides (lease → governor), the controller builds its host views and
 * state, the real Planner asks the policy, and the physics advances (sub-steps of ≤ 0.5 s inside SimHost.step).
 */
export function runClosedLoop(options: ClosedLoopOptions): ClosedLoopResult {
  const periodS = options.periodS ?? 1;
  const periodMs = Math.round(periodS * 1000);
  const hosts = Array.from({ length: options.hosts }, (_, i) => buildHost(i, options, START_MS, periodMs));
  const planner = options.policy === FIRMWARE_ONLY ? undefined : new Planner(options.policy);
  const trace: HostTrace | undefined = options.recordTrace ? { tS: [], dieC: [], cpuReadingC: [], fanPct: [], cpuUtil: [], state: [] } : undefined;
  const decisionMs: number[] = [];
  const tickMs: number[] = [];
  const steps = Math.round(options.scenario.durationS / periodS);
  const views: HostView[] = new Array<HostView>(hosts.length);
  let seq = 0;

  for (let k = 0; k < steps; k++) {
    const tS = k * periodS;
    const nowMs = START_MS + k * periodMs;
    const decisions = hosts.map((host, i) => {
      applyFaults(host, tS, periodS);
      // The first sweep sees the initial state; later ones advance the sensors' lag by one period.
      const readings = host.sensors.read(host.physics.snapshot(), k === 0 ? 0 : periodS);
      const decision: AgentDecision = host.firmware ? host.firmware.decide(readings) : host.agent.decide(nowMs, readings);
      const telemetry: Telemetry = {
        v: PROTOCOL_VERSION,
        host: host.physics.hostId,
        boot: "bench-boot-0001",
        seq: seq++,
        ts: nowMs,
        periodMs,
        mode: decision.mode,
        outputs: decision.outputs,
        dropped: 0,
        readings,
      };
      views[i] = host.controller.observe(telemetry, periodS);
      return decision;
    });

    if (planner) {
      const t0 = performance.now();
      const proposals = planner.plan(nowMs, views);
      const elapsedMs = performance.now() - t0;
      tickMs.push(elapsedMs);
      decisionMs.push(elapsedMs / Math.max(1, proposals.length));
      const byId = new Map(hosts.map((h) => [h.physics.hostId, h]));
      for (const p of proposals) byId.get(p.hostId)?.agent.receive(p.setpoints, p.ttlMs);
    }

    hosts.forEach((host, i) => {
      const point = host.scenario.workload.at(tS);
      const { fanPct, pumpPct } = decisions[i]?.outputs ?? { fanPct: 100 };
      host.physics.step(periodS, { ...point, fanCmdPct: [fanPct], ...(pumpPct !== undefined ? { pumpCmdPct: pumpPct } : {}) });
      const after = host.physics.snapshot();
      host.metrics.add(after, fanPct, periodS);
      host.lastFanPct = fanPct;
      const view = views[i];
      if (options.observer && view) options.observer({ hostIndex: i, tS, view, fanPct, pumpPct, after, cleanCpuC: host.sensors.cleanCpuC });
      if (trace && i === 0 && view) {
        trace.tS.push(tS);
        trace.dieC.push(Math.max(...after.sockets.map((s) => s.dieC)));
        trace.cpuReadingC.push(Math.max(...view.temperatures.filter((t) => t.role === "cpu" && t.tempC !== null).map((t) => t.tempC ?? 0)));
        trace.fanPct.push(fanPct);
        trace.cpuUtil.push(point.cpuUtil);
        trace.state.push(view.state);
      }
    });
  }

  const stateSeconds: Record<string, number> = {};
  for (const host of hosts) for (const [state, s] of Object.entries(host.controller.stateSeconds)) stateSeconds[state] = (stateSeconds[state] ?? 0) + (s ?? 0);
  return {
    metrics: summariseRun(
      hosts.map((h) => h.metrics),
      stateSeconds,
    ),
    decisionMsP99: percentile(decisionMs, 99),
    tickMsP99: percentile(tickMs, 99),
    ...(trace ? { trace } : {}),
  };
}
