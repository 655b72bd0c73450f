import type { SensorRole } from "../../protocol/index.js";
import { DEFAULT_STATE_MACHINE_PARAMS } from "../state-machine/params.js";
import type { HostView, SetpointProposal } from "../types.js";
import type { PidGains } from "./margin-pid.js";
import { worstMarginC } from "./margins.js";
import { noCutWhileHot } from "./no-cut-while-hot.js";
import { DEFAULT_OBJECTIVE_TUNING, ENERGY_OBJECTIVE, hostObjective, type HostObjective } from "./objective.js";
import { B1StepwisePolicy } from "./policy-b1-stepwise.js";
import { B2CascadePidPolicy } from "./policy-b2-pid.js";
import { objectiveFor, type PlannerInput, type PlanningPolicy } from "./policy.js";

export interface MpcFallbackOptions {
  baseline: "b1" | "b2";
  planPeriodMs: number;
  /** B2's gains, when B2 is the baseline. */
  b2Gains?: Partial<PidGains> | undefined;
  /** The guard: a group at or above its target is never set below what the host runs (noCutWhileHot). */
  noCutWhileHot: boolean;
  /** A host near its target is planned with the Cooling state's headroom at once (FallbackHeadroom). */
  headroom: boolean;
}

/** The roles the state machine's Cooling band watches (its CPU and drive margins). */
const BAND_ROLES: ReadonlySet<SensorRole> = new Set(["cpu", "drive"]);

/**
 * The Cooling state's rule, applied by the fallback to the hosts it plans, at once and host by host: a host with a
 * CPU or drive reading within the band of its target (3 °C) is planned with the headroom objective (targets 3 °C
 * lower) until every such reading is back below the band by the hysteresis (5 °C under target). The state machine
 * moves a hot host to Cooling only after 20 s of 10 s windows; a host the fallback takes over hot (its first minute,
 * its probation) or under the energy objective throughout would meanwhile be planned for energy, and a stock curve's
 * step for "just under target" lets a fully loaded die creep past it. Same band and headroom as the state machine
 * and the planner (their defaults), so nothing new is tuned.
 */
export class FallbackHeadroom {
  private readonly hot = new Set<string>();
  private readonly headroom: HostObjective = Object.freeze(hostObjective("headroom", DEFAULT_OBJECTIVE_TUNING, 0));
  private readonly enterC = -DEFAULT_STATE_MACHINE_PARAMS.coolingBandC;
  private readonly exitC = -(DEFAULT_STATE_MACHINE_PARAMS.coolingBandC + DEFAULT_STATE_MACHINE_PARAMS.coolingHysteresisC);

  /** The objective to plan the host with: the one given, or headroom while the host is near its target. */
  objectiveFor(host: HostView, given: HostObjective): HostObjective {
    if (given.kind === "headroom") return given;
    // Against the targets themselves, as the state machine's margins are; no trusted reading keeps the last verdict.
    const marginC = worstMarginC(host, BAND_ROLES, ENERGY_OBJECTIVE);
    if (marginC !== undefined && marginC > this.enterC) this.hot.add(host.hostId);
    else if (marginC !== undefined && marginC <= this.exitC) this.hot.delete(host.hostId);
    return this.hot.has(host.hostId) ? this.headroom : given;
  }

  forget(hostIds: Iterable<string>): void {
    for (const id of hostIds) this.hot.delete(id);
  }
}

/**
 * What plans the hosts MPC's model does not: the baseline (B1 or B2), given the headroom objective for hosts near
 * their target (FallbackHeadroom), its proposals then held by the guard (noCutWhileHot).
 */
export class MpcFallback {
  readonly baseline: PlanningPolicy;
  private readonly headroom: FallbackHeadroom | undefined;

  constructor(private readonly options: MpcFallbackOptions) {
    this.baseline = options.baseline === "b1" ? new B1StepwisePolicy() : new B2CascadePidPolicy(options.planPeriodMs, options.b2Gains ? { fanGains: options.b2Gains } : {});
    this.headroom = options.headroom ? new FallbackHeadroom() : undefined;
  }

  plan(input: PlannerInput, hosts: readonly HostView[]): SetpointProposal[] {
    const objectives = new Map<string, HostObjective>();
    for (const host of hosts) {
      const given = objectiveFor(input, host.hostId);
      objectives.set(host.hostId, this.headroom ? this.headroom.objectiveFor(host, given) : given);
    }
    const proposals = this.baseline.plan({ nowMs: input.nowMs, hosts: [...hosts], objectives });
    if (!this.options.noCutWhileHot) return proposals;
    const byId = new Map(hosts.map((h) => [h.hostId, h]));
    return proposals.map((p) => {
      const host = byId.get(p.hostId);
      const objective = objectives.get(p.hostId);
      return host && objective ? noCutWhileHot(p, host, objective) : p;
    });
  }

  /** Drops a host's memory: it went away, or the model plans it now (it starts afresh when it comes back). */
  forget(hostIds: Iterable<string>): void {
    const ids = [...hostIds];
    this.baseline.forget(ids);
    this.headroom?.forget(ids);
  }
}
