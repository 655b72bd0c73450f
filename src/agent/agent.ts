import type { AgentConfig, ActuatorGroupConfig } from "../config/agent-schema.js";
import type { Clock, TimerHandle } from "../core/clock.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import { percentile } from "../core/percentile.js";
import type { Logger } from "../core/logger.js";
import type { CoolingActuator, SensorSource } from "../hardware/binding.js";
import {
  decodeCommand,
  type Alarm,
  PROTOCOL_VERSION,
  type Ack,
  type ControlMode,
  type HostBirth,
  type HostState,
  type Outputs,
  type Reading,
  type SensorManifestEntry,
  type Telemetry,
} from "../protocol/index.js";
import { ActuatorWriteWatch } from "./actuator-write-watch.js";
import { ActuatorWriter } from "./actuator-writer.js";
import { hostCapabilities } from "./capabilities.js";
import { hostMode } from "./agent-telemetry.js";
import { CommandLease, type AckDecision } from "./command-lease.js";
import { matchLimits, unmatchedLimits, type ControlledTemp } from "./controlled-sensors.js";
import { CoolingFaultMonitor, type LeakSensor } from "./cooling-faults/index.js";
import { zoneTemps } from "./zone.js";
import { SafetyGovernor } from "./governor.js";
import type { AgentLinkStats } from "./mqtt-link.js";
import { LocalController } from "./local-control.js";
import { PlausibilityChecker } from "./plausibility.js";
import { sensorRoleResolver } from "./plausibility-roles.js";
import { SensorSweep } from "./sweep.js";

/** What the agent needs from its broker session (AgentLink in production). */
export interface AgentLinkPort {
  start(birth: HostState): void;
  /** Replaces the retained birth (capabilities changed) and publishes it when connected. */
  updateBirth(birth: HostState): void;
  publishTelemetry(telemetry: Telemetry): void;
  publishAck(ack: Ack): void;
  stop(offline: HostState): Promise<void>;
  stats(): AgentLinkStats;
}

export interface CoolingAgentDeps {
  config: AgentConfig;
  hostId: string;
  boot: string;
  agentVersion: string;
  clock: Clock;
  logger: Logger;
  sources: SensorSource[];
  fans: CoolingActuator;
  pump?: CoolingActuator;
  /** Leak registers (a CDU's leak flags) watched for the leak alarm. */
  leakSensors?: LeakSensor[];
  /** Starts and stops the buses behind the sources and actuators (IPMI loop, Modbus ports, SMC helper). */
  lifecycle?: BindingLifecycle;
  /** Builds the broker session; the agent passes the handler for incoming commands. */
  createLink: (onCommand: (payload: Buffer) => void) => AgentLinkPort;
  inventory?: Record<string, string>;
}

export interface BindingLifecycle {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/** One actuator group with its own L2 loop and L1 governor. */
interface ControlLoop {
  name: "fans" | "pump";
  group: ActuatorGroupConfig;
  actuator: CoolingActuator;
  /** Writes the period's output without letting a slow bus hold the period. */
  writer: ActuatorWriter;
  local: LocalController;
  governor: SafetyGovernor;
  /** Governor mode of the previous period: local control resumes bumplessly after any other. */
  lastMode: ControlMode;
  lastOutputPct: number | undefined;
}

export interface TickReport {
  seq: number;
  mode: ControlMode;
  outputs: Outputs;
  readings: Reading[];
  sweepMs: number;
  reasons: string[];
  /** Cooling-fault alarms in force. */
  alarms?: Alarm[];
}

/** Counters an operator (and the benchmark) can read. */
export interface AgentCounters {
  ticks: number;
  /** Payloads that arrived on the command topic, valid or not. */
  commandsReceived: number;
  tickErrors: number;
  commandsRejectedInvalid: number;
  sweepDurationsMs: number[];
}

const SWEEP_HISTORY = 4096;
/** Share of the period a control period waits for its actuator writes; slower ones finish in the background. */
const WRITE_BUDGET_SHARE = 0.5;
/** A write pending this long (or two periods, if longer) makes its group unreachable until it settles. */
const WRITE_STALL_MIN_MS = 1000;
/** Every this many periods the agent logs its sweep timings (info level), for operators and the benchmark. */
const STATS_EVERY_TICKS = 60;

/**
 * The per-host agent: every period it sweeps the sensors, checks plausibility, lets the local PID or a
 * controller command propose outputs, passes them through the safety governor, drives the hardware and
 * publishes telemetry. It keeps the host safe with no controller and no broker at all.
 */
export class CoolingAgent {
  private readonly sweep: SensorSweep;
  private readonly plausibility: PlausibilityChecker;
  private readonly lease: CommandLease;
  private readonly loops: ControlLoop[];
  private readonly link: AgentLinkPort;
  private readonly faults: CoolingFaultMonitor;
  private readonly writes: ActuatorWriteWatch;
  private seq = 0;
  private timer: TimerHandle | undefined;
  private startedAtMs = 0;
  private running: Promise<unknown> | undefined;
  private stopped = false;
  private manifest: SensorManifestEntry[] = [];
  private announcedTiers: NonNullable<Telemetry["tiers"]> | undefined;
  /** The most recent control period's outcome, for status displays. */
  lastReport: TickReport | undefined;
  /** Called after every completed control period (ops: the systemd watchdog is fed from proof of work). */
  private periodListener: ((report: TickReport) => void) | undefined;
  readonly counters: AgentCounters = { ticks: 0, commandsReceived: 0, tickErrors: 0, commandsRejectedInvalid: 0, sweepDurationsMs: [] };

  constructor(private readonly deps: CoolingAgentDeps) {
    const { config } = deps;
    this.sweep = new SensorSweep(deps.sources);
    this.writes = new ActuatorWriteWatch(deps.logger);
    this.plausibility = new PlausibilityChecker(config.plausibility, sensorRoleResolver(config.temperatures));
    this.lease = new CommandLease({ hostId: deps.hostId, maxLeaseMs: config.maxLeaseMs });
    this.loops = [this.makeLoop("fans", config.fans, deps.fans)];
    if (config.pump && deps.pump) this.loops.push(this.makeLoop("pump", config.pump, deps.pump));
    this.faults = new CoolingFaultMonitor({
      config: config.faults,
      hysteresisC: config.control.hysteresisC,
      fans: config.fans,
      pump: config.pump && deps.pump ? config.pump : undefined,
      leakSensors: deps.leakSensors,
      logger: deps.logger.child({ part: "cooling-faults" }),
    });
    this.link = deps.createLink((payload) => this.handleCommand(payload));
  }

  private makeLoop(name: "fans" | "pump", group: ActuatorGroupConfig, actuator: CoolingActuator): ControlLoop {
    const { config } = this.deps;
    return {
      name,
      group,
      actuator,
      writer: new ActuatorWriter(actuator, this.deps.clock, Math.max(WRITE_STALL_MIN_MS, 2 * config.periodMs)),
      local: new LocalController(config.control.pid, group, config.periodMs),
      governor: new SafetyGovernor(group, config.control),
      lastMode: "local",
      lastOutputPct: undefined,
    };
  }

  /** Takes manual control of the hardware, announces the host and starts the control period. */
  async start(): Promise<void> {
    const { clock, config, logger } = this.deps;
    await this.deps.lifecycle?.start();
    const firstSweep = this.sweep.run(clock.nowMs());
    const sensorIds = firstSweep.readings.map((r) => r.id);
    const unmatched = unmatchedLimits(sensorIds, config.temperatures).filter((limit) => limit.required);
    if (unmatched.length > 0) {
      throw new CoolfleetError(
        ErrorCode.ConfigInvalid,
        `required temperature limit(s) ${unmatched.map((l) => `"${l.match}"`).join(", ")} match no sensor on this host; sensors found: ${sensorIds.join(", ") || "none"}`,
      );
    }
    this.manifest = this.buildManifest(firstSweep.readings.map((r) => ({ id: r.id, kind: r.kind, unit: r.unit })));
    for (const loop of this.loops) await loop.actuator.takeControl();
    this.link.start(this.birth());
    logger.info({ sensors: this.manifest.length, periodMs: config.periodMs }, "agent started");
    this.startedAtMs = clock.nowMs();
    this.scheduleNext();
  }

  private buildManifest(sensors: { id: string; kind: Reading["kind"]; unit: Reading["unit"] }[]): SensorManifestEntry[] {
    const limits = this.deps.config.temperatures;
    return sensors.map((sensor) => {
      if (sensor.kind !== "temperature") return sensor;
      const controlled = matchLimits([{ ...sensor, value: null, quality: "missing" }], limits)[0];
      if (!controlled) return sensor;
      return { ...sensor, role: controlled.role, targetC: controlled.targetC, criticalC: controlled.criticalC, required: controlled.required };
    });
  }

  private birth(): HostBirth {
    const { config, hostId, boot, clock, agentVersion, inventory } = this.deps;
    return {
      v: PROTOCOL_VERSION,
      host: hostId,
      boot,
      online: true,
      ts: clock.nowMs(),
      agentVersion,
      periodMs: config.periodMs,
      sensors: this.manifest,
      capabilities: hostCapabilities(config, this.deps.fans.tier ?? "full", this.deps.pump ? (this.deps.pump.tier ?? "full") : undefined),
      ...(inventory ? { inventory } : {}),
    };
  }

  private scheduleNext(): void {
    if (this.stopped) return;
    const { clock, config } = this.deps;
    const nowMs = clock.nowMs();
    // Aligned to the start time so the period does not drift with tick duration; missed slots are skipped.
    const elapsed = nowMs - this.startedAtMs;
    const nextDueMs = this.startedAtMs + (Math.floor(elapsed / config.periodMs) + 1) * config.periodMs;
    this.timer = clock.setTimeout(() => {
      this.timer = undefined;
      this.running = this.tick().finally(() => {
        this.running = undefined;
        this.scheduleNext();
      });
    }, nextDueMs - nowMs);
  }

  /** Runs one control period. Never throws: a failure drives the outputs to their failsafe level. */
  async tick(): Promise<TickReport | undefined> {
    const { clock, logger } = this.deps;
    const nowMs = clock.nowMs();
    try {
      return await this.controlPeriod(nowMs);
    } catch (err) {
      this.counters.tickErrors++;
      logger.error({ err: err instanceof Error ? err.message : String(err) }, "control period failed; outputs to failsafe");
      for (const loop of this.loops) {
        try {
          const written = await loop.writer.write(loop.group.failsafePct, this.deps.config.periodMs * WRITE_BUDGET_SHARE);
          if (written.error) throw written.error;
          loop.lastOutputPct = written.writtenPct;
        } catch (writeErr) {
          logger.fatal({ err: writeErr instanceof Error ? writeErr.message : String(writeErr), actuator: loop.name }, "cannot write failsafe output");
        }
      }
      return undefined;
    }
  }

  private async controlPeriod(nowMs: number): Promise<TickReport> {
    const { config, hostId, boot } = this.deps;
    const sweep = this.sweep.run(nowMs);
    this.recordSweep(sweep.durationMs);
    const readings = this.plausibility.check(sweep.readings, nowMs);
    const temps = matchLimits(readings, config.temperatures);

    const pending = this.lease.takePending(nowMs);
    this.sendAcks(pending.acks, nowMs);
    const command = this.lease.active(nowMs);
    const faults = this.faults.assess({ nowMs, readings, temps, tiers: this.currentTiers() });

    const outputs: Partial<Record<"fans" | "pump", number>> = {};
    const modes: ControlMode[] = [];
    const reasons: string[] = [];
    for (const loop of this.loops) {
      const remotePct = loop.name === "fans" ? command?.setpoints.fanPct : command?.setpoints.pumpPct;
      const decision = this.decideLoop(loop, temps, remotePct, nowMs, loop.name === "fans" ? faults.fanFloorPct : faults.pumpFloorPct);
      // A write that fails or hangs (bus down) leaves this group where it was; the period still reports and acks.
      const written = await loop.writer.write(decision.outputPct, config.periodMs * WRITE_BUDGET_SHARE);
      const writeErr = written.error;
      this.writes.record(loop.name, nowMs, writeErr);
      loop.lastOutputPct = written.writtenPct;
      outputs[loop.name] = written.writtenPct ?? decision.outputPct;
      modes.push(writeErr === undefined ? decision.mode : "failsafe");
      if (writeErr !== undefined) reasons.push(`${loop.name}: write failed (${writeErr.message})`);
      else if (decision.reason) reasons.push(`${loop.name}: ${decision.reason}`);
    }
    const alarms = [...faults.alarms, ...this.writes.alarms()];

    const applied: Outputs = { fanPct: outputs.fans ?? 0, ...(outputs.pump !== undefined ? { pumpPct: outputs.pump } : {}) };
    this.faults.recordOutputs(nowMs, { fans: applied.fanPct, pump: applied.pumpPct });
    if (pending.cmd) {
      this.sendAcks([{ cmdId: pending.cmd.id, seq: pending.cmd.seq, status: "applied", ...(reasons.length > 0 ? { reason: reasons.join("; ").slice(0, 200) } : {}) }], nowMs, applied);
    }

    const tiers = this.currentTiers();
    if (this.announcedTiers !== undefined && (tiers.fans !== this.announcedTiers.fans || tiers.pump !== this.announcedTiers.pump)) {
      // A BMC that refused (or again accepts) manual control changes what the controller may plan: say so at once.
      this.deps.logger.warn({ tiers, was: this.announcedTiers }, "actuator capability changed; announcing a new birth");
      this.link.updateBirth(this.birth());
    }
    this.announcedTiers = tiers;
    const mode = hostMode(modes);
    const telemetry: Telemetry = {
      v: PROTOCOL_VERSION,
      host: hostId,
      boot,
      seq: this.seq++,
      ts: nowMs,
      periodMs: config.periodMs,
      mode,
      outputs: applied,
      ...(command ? { cmdSeq: command.seq } : {}),
      dropped: this.link.stats().dropped,
      tiers,
      ...(alarms.length > 0 ? { alarms } : {}),
      readings,
    };
    this.link.publishTelemetry(telemetry);
    this.counters.ticks++;
    if (this.counters.ticks % STATS_EVERY_TICKS === 0) this.logStats();
    this.lastReport = { seq: telemetry.seq, mode, outputs: applied, readings, sweepMs: sweep.durationMs, reasons, alarms };
    this.reportPeriod(this.lastReport);
    return this.lastReport;
  }

  /** Registers the one listener for completed control periods (replacing any earlier one). */
  onPeriod(listener: (report: TickReport) => void): void {
    this.periodListener = listener;
  }

  private reportPeriod(report: TickReport): void {
    try {
      this.periodListener?.(report);
    } catch (err) {
      // A listener's failure is not a control failure: it must not send the outputs to failsafe.
      this.deps.logger.error({ err: err instanceof Error ? err.message : String(err) }, "period listener failed");
    }
  }

  private decideLoop(loop: ControlLoop, temps: ControlledTemp[], remotePct: number | undefined, nowMs: number, floorPct: number | undefined) {
    const source = remotePct !== undefined ? "remote" : "local";
    let demandPct: number | undefined;
    if (source === "remote") {
      demandPct = remotePct;
    } else {
      // Bumpless hand-back after a command, an override or a failsafe: continue from what the hardware has.
      const zone = zoneTemps(loop.group, temps);
      if (loop.lastMode !== "local" && loop.lastOutputPct !== undefined) loop.local.bumpTo(loop.lastOutputPct, zone);
      demandPct = loop.local.update(zone);
    }
    const decision = loop.governor.decide({ nowMs, temps, demandPct, source, floorPct });
    loop.lastMode = decision.mode;
    return decision;
  }

  private logStats(): void {
    const recent = this.counters.sweepDurationsMs.slice(-STATS_EVERY_TICKS);
    const link = this.link.stats();
    this.deps.logger.info(
      {
        ticks: this.counters.ticks,
        sweepP50Ms: percentile(recent, 50),
        sweepP99Ms: percentile(recent, 99),
        sweepMaxMs: Math.max(...recent),
        tickErrors: this.counters.tickErrors,
        actuatorWriteFailures: this.writes.failures,
        queued: link.queued,
        dropped: link.dropped,
        backlogBytes: link.backlogBytes,
        replayed: link.replayed,
        tornRecords: link.tornRecords,
        connected: link.connected,
        slowLoops: Object.fromEntries(this.deps.sources.flatMap((source) => {
          const stats = source.slowLoopStats?.();
          return stats ? [[source.name, stats]] : [];
        })),
      },
      "control period stats",
    );
  }

  private currentTiers(): NonNullable<Telemetry["tiers"]> {
    const pump = this.deps.pump ? (this.deps.pump.tier ?? "full") : undefined;
    return { fans: this.deps.fans.tier ?? "full", ...(pump ? { pump } : {}) };
  }

  private recordSweep(durationMs: number): void {
    const history = this.counters.sweepDurationsMs;
    history.push(durationMs);
    if (history.length > SWEEP_HISTORY) history.splice(0, history.length - SWEEP_HISTORY);
  }

  /** Handles one payload from the command topic. Bad payloads are counted and logged, never thrown. */
  handleCommand(payload: Buffer): void {
    const { clock, logger } = this.deps;
    const nowMs = clock.nowMs();
    this.counters.commandsReceived++;
    const decoded = decodeCommand(payload);
    if (!decoded.ok) {
      this.counters.commandsRejectedInvalid++;
      logger.warn({ reason: decoded.reason }, "invalid command payload rejected");
      return;
    }
    this.sendAcks(this.lease.receive(decoded.value, nowMs), nowMs);
  }

  private sendAcks(decisions: AckDecision[], nowMs: number, applied?: Outputs): void {
    const { hostId, boot } = this.deps;
    for (const decision of decisions) {
      this.link.publishAck({
        v: PROTOCOL_VERSION,
        host: hostId,
        boot,
        cmdId: decision.cmdId,
        seq: decision.seq,
        status: decision.status,
        ts: nowMs,
        ...(decision.reason ? { reason: decision.reason.slice(0, 200) } : {}),
        ...(decision.status === "applied" && applied ? { applied } : {}),
      });
    }
  }

  /** Resolves when no control period is running (tests advance the clock, then wait for this). */
  async whenIdle(): Promise<void> {
    await this.running;
  }

  /** Resolves once a last-resort command the agent started has exited (tests; the agent never waits for it). */
  async faultActionsSettled(): Promise<void> {
    await this.faults.settled();
  }

  linkStats(): AgentLinkStats {
    return this.link.stats();
  }

  /** Stops the control period, hands the hardware back to firmware and announces the host offline. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    const { clock, logger, hostId, boot } = this.deps;
    if (this.timer) clock.clearTimeout(this.timer);
    await this.running;
    for (const loop of this.loops) {
      try {
        // A write still finishing in the background must not land after the hand-back.
        await loop.writer.settled();
        await loop.actuator.restore();
      } catch (err) {
        logger.error({ err: err instanceof Error ? err.message : String(err), actuator: loop.name }, "could not hand control back to firmware");
      }
    }
    await this.deps.lifecycle?.stop();
    await this.link.stop({ v: PROTOCOL_VERSION, host: hostId, boot, online: false, ts: clock.nowMs(), reason: "shutdown" });
    logger.info("agent stopped; firmware has control");
  }
}
