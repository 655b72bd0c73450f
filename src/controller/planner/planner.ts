import type { HostView, SetpointProposal } from "../types.js";
import {
  DEFAULT_OBJECTIVE_TUNING,
  hostObjective,
  objectiveKindForState,
  type HostObjective,
  type ObjectiveTuning,
} from "./objective.js";
import type { PlanningPolicy, PlanRoute } from "./policy.js";
import { controlsFans, controlsPump, DEFAULT_LEASE_PERIODS, leaseTtlMs, setpointsFor } from "./proposal.js";
import { UtilisationTrend } from "./utilisation-trend.js";

export interface PlannerOptions {
  tuning?: Partial<ObjectiveTuning>;
  /** Time constant of the utilisation baseline the Scaling feed-forward measures its rise against. */
  utilBaselineTauMs?: number;
  /** Default lease for a proposal that brings none: leasePeriods × host.periodMs (always capped at maxLeaseMs). */
  leasePeriods?: number;
}

/** Why a host got no plan this round, for logs and the API. */
export type PlanSkipReason = "offline" | "no-capabilities" | "not-controllable" | "state-setup" | "state-decommissioned" | "state-error";

/**
 * Owns the planning policy and decides what it is asked to do for each host, by the host's state:
 * Running → energy, Cooling → headroom, Scaling → feed-forward, DataStorage → drives. Error → nothing at all: the
 * agent's governor and its own PID are the safety layer, and our last lease lapses within its TTL. Setup,
 * Decommissioned, offline and hosts whose fans and pump are not "full" tier are not planned either. Whatever the
 * policy returns is clipped to what each host allows (tier, bounds, maxLeaseMs) before it leaves here.
 */
export class Planner {
  private readonly tuning: ObjectiveTuning;
  private readonly trend: UtilisationTrend;
  private readonly leasePeriods: number;
  /** Hosts the policy may hold memory for. */
  private known = new Set<string>();

  constructor(
    readonly policy: PlanningPolicy,
    options: PlannerOptions = {},
  ) {
    this.tuning = { ...DEFAULT_OBJECTIVE_TUNING, ...options.tuning };
    this.trend = new UtilisationTrend(options.utilBaselineTauMs);
    this.leasePeriods = options.leasePeriods ?? DEFAULT_LEASE_PERIODS;
  }

  /**
   * One planning round over the fleet's latest view. With `only`, just those hosts are planned (the ones with fresh
   * telemetry, so each host is planned once per control period of its own); the rest of the fleet keeps its memory.
   */
  plan(nowMs: number, fleet: readonly HostView[], only?: ReadonlySet<string>): SetpointProposal[] {
    const objectives = new Map<string, HostObjective>();
    const planned: HostView[] = [];
    const online = new Set<string>();
    const eligible = new Set<string>();
    for (const host of fleet) {
      if (!host.online) continue;
      online.add(host.hostId);
      const due = only === undefined || only.has(host.hostId);
      // Observed for every host planned, so a host entering Scaling already has a baseline to rise above.
      const utilRisePct = due ? this.trend.observe(host.hostId, host.cpuUtilPct, nowMs) : 0;
      const kind = objectiveKindForState(host.state);
      if (kind === undefined || kind === "safety" || !isControllable(host)) continue;
      eligible.add(host.hostId);
      if (!due) continue;
      objectives.set(host.hostId, hostObjective(kind, this.tuning, utilRisePct));
      planned.push(host);
    }
    this.trend.retain(online);
    // Hosts that went offline, into Error or out of control start afresh when they come back.
    this.policy.forget([...this.known].filter((id) => !eligible.has(id)));
    this.known = eligible;

    const byId = new Map(planned.map((h) => [h.hostId, h]));
    const proposals: SetpointProposal[] = [];
    for (const proposal of this.policy.plan({ nowMs, hosts: planned, objectives })) {
      const host = byId.get(proposal.hostId);
      // One proposal per planned host: anything else the policy returns is not ours to send.
      if (!host) continue;
      byId.delete(proposal.hostId);
      const safe = this.clip(host, proposal);
      if (safe) proposals.push(safe);
    }
    return proposals;
  }

  /** Who plans the host now: the policy (or its fallback and why), or no one and why (skipReason). */
  routeOf(host: HostView): PlanRoute {
    const skip = this.skipReason(host);
    if (skip) return { policy: null, reason: skip };
    return this.policy.routeOf?.(host.hostId) ?? { policy: this.policy.id };
  }

  /** Why a host would not be planned now, or undefined when it would be. */
  skipReason(host: HostView): PlanSkipReason | undefined {
    if (!host.online) return "offline";
    if (!host.capabilities) return "no-capabilities";
    const kind = objectiveKindForState(host.state);
    if (kind === undefined) return host.state === "Setup" ? "state-setup" : "state-decommissioned";
    if (kind === "safety") return "state-error";
    return isControllable(host) ? undefined : "not-controllable";
  }

  private clip(host: HostView, proposal: SetpointProposal): SetpointProposal | undefined {
    const setpoints = setpointsFor(host.capabilities, proposal.setpoints.fanPct, proposal.setpoints.pumpPct);
    if (!setpoints) return undefined;
    // The agent caps every lease at maxLeaseMs anyway; capping here keeps expiresAt honest and the skip rule right.
    const maxLeaseMs = host.capabilities?.maxLeaseMs ?? Number.POSITIVE_INFINITY;
    const proposedMs = Math.round(proposal.ttlMs);
    const ttlMs = Number.isFinite(proposedMs) && proposedMs > 0 ? Math.min(proposedMs, maxLeaseMs) : leaseTtlMs(host, this.leasePeriods);
    return { hostId: host.hostId, setpoints, ttlMs };
  }
}

function isControllable(host: HostView): boolean {
  return controlsFans(host.capabilities) || controlsPump(host.capabilities);
}
