import type { SetpointProposal } from "../types.js";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import { hasTrustedCpu } from "./margins.js";
import type { PlannerInput, PlanningPolicy } from "./policy.js";
import { DEFAULT_LEASE_PERIODS, leaseTtlMs, setpointsFor } from "./proposal.js";

export interface B0FixedOptions {
  /** Pump % on liquid-cooled hosts; default: the same as the fans. */
  pumpPct?: number;
  leasePeriods?: number;
}

/**
 * B0, a fixed fan speed: the honest floor of every comparison. It ignores temperatures and objectives on purpose
 * (that is what "fixed" means); the agent's governor still overrides it on over-temperature. The level is chosen
 * outside (the benchmark takes the lowest that keeps every training workload safe).
 */
export class B0FixedPolicy implements PlanningPolicy {
  readonly id = "b0";
  private readonly pumpPct: number;
  private readonly leasePeriods: number;

  constructor(
    readonly fanPct: number,
    options: B0FixedOptions = {},
  ) {
    for (const [name, pct] of [["fanPct", fanPct], ["pumpPct", options.pumpPct ?? fanPct]] as const) {
      if (!Number.isFinite(pct) || pct < 0 || pct > 100) throw new CoolfleetError(ErrorCode.ConfigInvalid, `b0 ${name} must be 0..100 %, got ${pct}`);
    }
    this.pumpPct = options.pumpPct ?? fanPct;
    this.leasePeriods = options.leasePeriods ?? DEFAULT_LEASE_PERIODS;
  }

  plan(input: PlannerInput): SetpointProposal[] {
    const proposals: SetpointProposal[] = [];
    for (const host of input.hosts) {
      // Without a trusted CPU sensor no policy proposes anything: the agent's failsafe rules.
      if (!hasTrustedCpu(host)) continue;
      const setpoints = setpointsFor(host.capabilities, this.fanPct, this.pumpPct);
      if (setpoints) proposals.push({ hostId: host.hostId, setpoints, ttlMs: leaseTtlMs(host, this.leasePeriods) });
    }
    return proposals;
  }

  forget(): void {
    // Stateless.
  }
}
