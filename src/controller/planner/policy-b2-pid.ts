import type { Capabilities } from "../../protocol/index.js";
import type { HostView, SetpointProposal } from "../types.js";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import { hasTrustedCpu, worstMarginC } from "./margins.js";
import { MarginPid, type PidGains } from "./margin-pid.js";
import type { HostObjective } from "./objective.js";
import { objectiveFor, type PlannerInput, type PlanningPolicy } from "./policy.js";
import { controlsFans, controlsPump, DEFAULT_LEASE_PERIODS, leaseTtlMs, setpointsFor } from "./proposal.js";
import { fanZone, pumpZone } from "./zones.js";

/** The agent's L2 defaults, until the benchmark grid-searches B2's gains on the training traces. */
export const B2_DEFAULT_GAINS: Readonly<PidGains> = Object.freeze({ kp: 4, ki: 0.15, kd: 0 });

export interface B2CascadePidOptions {
  /** Fan loop gains (defaults B2_DEFAULT_GAINS). */
  fanGains?: Partial<PidGains>;
  /** Pump loop gains (defaults to the fan loop's). */
  pumpGains?: Partial<PidGains>;
  leasePeriods?: number;
}


interface HostLoops {
  fan: MarginPid | undefined;
  pump: MarginPid | undefined;
  /** The capability bounds the loops were built for: a re-birth with other bounds rebuilds them. */
  boundsKey: string;
}

/**
 * B2, a cascade PID: per host an outer temperature loop (PID on the worst margin → fan %, and → pump % on liquid-
 * cooled hosts) whose output is the set-point for the inner loop that holds fan or pump speed (the agent and the
 * fan hardware). Fixed dt = the planning period; output within the host's [minPct, maxPct]; conditional-integration
 * anti-windup. The objective lowers the targets (headroom, drives) and adds its feed-forward bias to the output.
 */
export class B2CascadePidPolicy implements PlanningPolicy {
  readonly id = "b2";
  private readonly dtS: number;
  private readonly fanGains: PidGains;
  private readonly pumpGains: PidGains;
  private readonly leasePeriods: number;
  private readonly loops = new Map<string, HostLoops>();

  /** planPeriodMs: how often plan() runs; it is the loops' fixed dt. */
  constructor(planPeriodMs: number, options: B2CascadePidOptions = {}) {
    if (!Number.isFinite(planPeriodMs) || planPeriodMs <= 0) {
      throw new CoolfleetError(ErrorCode.ConfigInvalid, `b2 planPeriodMs must be a positive number of milliseconds, got ${planPeriodMs}`);
    }
    this.dtS = planPeriodMs / 1000;
    this.fanGains = checkedGains({ ...B2_DEFAULT_GAINS, ...options.fanGains }, "fanGains");
    this.pumpGains = checkedGains({ ...this.fanGains, ...options.pumpGains }, "pumpGains");
    this.leasePeriods = options.leasePeriods ?? DEFAULT_LEASE_PERIODS;
  }

  plan(input: PlannerInput): SetpointProposal[] {
    const proposals: SetpointProposal[] = [];
    for (const host of input.hosts) {
      if (!hasTrustedCpu(host) || !host.capabilities) continue;
      const objective = objectiveFor(input, host.hostId);
      const loops = this.loopsFor(host, host.capabilities, objective);
      // Each loop follows the roles its group cools, as the agent announces them (fans: CPUs and drives by default).
      const fanPct = runLoop(loops.fan, worstMarginC(host, fanZone(host.capabilities), objective), objective);
      const pumpPct = runLoop(loops.pump, worstMarginC(host, pumpZone(host.capabilities), objective), objective);
      const setpoints = setpointsFor(host.capabilities, fanPct, pumpPct);
      if (setpoints) proposals.push({ hostId: host.hostId, setpoints, ttlMs: leaseTtlMs(host, this.leasePeriods) });
    }
    return proposals;
  }

  forget(hostIds: Iterable<string>): void {
    for (const hostId of hostIds) this.loops.delete(hostId);
  }

  private loopsFor(host: HostView, caps: Capabilities, objective: HostObjective): HostLoops {
    const boundsKey = JSON.stringify([controlsFans(caps), caps.fans.minPct, caps.fans.maxPct, controlsPump(caps), caps.pump?.minPct, caps.pump?.maxPct]);
    const existing = this.loops.get(host.hostId);
    if (existing?.boundsKey === boundsKey) return existing;
    const fan = controlsFans(caps) ? new MarginPid(this.fanGains, this.dtS, caps.fans.minPct, caps.fans.maxPct) : undefined;
    const pump = caps.pump && controlsPump(caps) ? new MarginPid(this.pumpGains, this.dtS, caps.pump.minPct, caps.pump.maxPct) : undefined;
    // Bumpless: take over from whatever the host runs now (its own L2 PID, or a previous controller's set-point).
    startLoop(fan, host.fanPct, worstMarginC(host, fanZone(caps), objective), objective);
    startLoop(pump, host.pumpPct, worstMarginC(host, pumpZone(caps), objective), objective);
    const loops = { fan, pump, boundsKey };
    this.loops.set(host.hostId, loops);
    return loops;
  }
}

function runLoop(loop: MarginPid | undefined, marginC: number | undefined, objective: HostObjective): number | undefined {
  return loop && marginC !== undefined ? loop.update(marginC, objective.biasPct) : undefined;
}

function startLoop(loop: MarginPid | undefined, currentPct: number | undefined, marginC: number | undefined, objective: HostObjective): void {
  if (loop && currentPct !== undefined && marginC !== undefined) loop.startAt(currentPct, marginC, objective.biasPct);
}

function checkedGains(gains: PidGains, name: string): PidGains {
  for (const [key, value] of Object.entries(gains)) {
    if (!Number.isFinite(value) || value < 0) {
      throw new CoolfleetError(ErrorCode.ConfigInvalid, `b2 ${name}.${key} must be a finite number ≥ 0, got ${String(value)}`);
    }
  }
  return gains;
}
