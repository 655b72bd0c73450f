import { hostMode } from "../../src/agent/agent-telemetry.js";
import { hostCapabilities } from "../../src/agent/capabilities.js";
import { matchLimits, type ControlledTemp } from "../../src/agent/controlled-sensors.js";
import { SafetyGovernor } from "../../src/agent/governor.js";
import { LocalController } from "../../src/agent/local-control.js";
import type { ActuatorGroupConfig, AgentConfig } from "../../src/config/agent-schema.js";
import type { Capabilities, ControlMode, Outputs, Reading, Setpoints } from "../../src/protocol/index.js";

interface ActuatorLoop {
  local: LocalController;
  governor: SafetyGovernor;
  lastMode: ControlMode;
  lastOutputPct: number;
}

export interface AgentDecision {
  outputs: Outputs;
  mode: ControlMode;
}

function loopFor(group: ActuatorGroupConfig, config: AgentConfig, startPct: number): ActuatorLoop {
  return {
    local: new LocalController(config.control.pid, group, config.periodMs),
    governor: new SafetyGovernor(group, config.control, { startPct }),
    lastMode: "local",
    lastOutputPct: startPct,
  };
}

/**
 * The agent's control period without its I/O: a controller set-point is held for its lease, otherwise the local PID
 * (L2) decides, and either way the real SafetyGovernor (L1) bounds, slews, overrides and fails safe. A set-point
 * received in one period is applied in the next, as on the wire (telemetry at t → plan → command → applied at t+1).
 */
export class BenchAgent {
  private readonly fans: ActuatorLoop;
  private readonly pump: ActuatorLoop | undefined;
  private pending: { setpoints: Setpoints; ttlMs: number } | undefined;
  private lease: { setpoints: Setpoints; endsAtMs: number } | undefined;

  constructor(
    private readonly config: AgentConfig,
    startFanPct: number,
    startPumpPct: number | undefined,
  ) {
    this.fans = loopFor(config.fans, config, startFanPct);
    this.pump = config.pump ? loopFor(config.pump, config, startPumpPct ?? config.pump.maxPct) : undefined;
  }

  /** What the birth announces: both groups at "full" tier, with the config's bounds, roles and watts. */
  capabilities(): Capabilities {
    return hostCapabilities(this.config, "full", this.config.pump ? "full" : undefined);
  }

  /** A command arrives: it takes effect at the next control period. */
  receive(setpoints: Setpoints, ttlMs: number): void {
    this.pending = { setpoints, ttlMs };
  }

  /** One control period on this sweep's readings. */
  decide(nowMs: number, readings: readonly Reading[]): AgentDecision {
    if (this.pending) {
      const ttlMs = Math.min(this.pending.ttlMs, this.config.maxLeaseMs);
      this.lease = { setpoints: this.pending.setpoints, endsAtMs: nowMs + ttlMs };
      this.pending = undefined;
    }
    if (this.lease && nowMs >= this.lease.endsAtMs) this.lease = undefined;
    const temps = matchLimits(readings, this.config.temperatures);
    const fanPct = this.step(this.fans, temps, this.lease?.setpoints.fanPct, nowMs);
    const modes = [this.fans.lastMode];
    let pumpPct: number | undefined;
    if (this.pump) {
      pumpPct = this.step(this.pump, temps, this.lease?.setpoints.pumpPct, nowMs);
      modes.push(this.pump.lastMode);
    }
    return { outputs: { fanPct, ...(pumpPct !== undefined ? { pumpPct } : {}) }, mode: hostMode(modes) };
  }

  private step(loop: ActuatorLoop, temps: ControlledTemp[], remotePct: number | undefined, nowMs: number): number {
    const source = remotePct !== undefined ? "remote" : "local";
    let demandPct = remotePct;
    if (source === "local") {
      // As the agent does: hand back bumplessly from whatever the hardware was running.
      if (loop.lastMode !== "local") loop.local.bumpTo(loop.lastOutputPct, temps);
      demandPct = loop.local.update(temps);
    }
    const decision = loop.governor.decide({ nowMs, temps, demandPct, source });
    loop.lastMode = decision.mode;
    loop.lastOutputPct = decision.outputPct;
    return decision.outputPct;
  }
}
