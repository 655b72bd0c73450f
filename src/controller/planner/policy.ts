import type { HostView, SetpointProposal } from "../types.js";
import type { HostObjective } from "./objective.js";
import { ENERGY_OBJECTIVE } from "./objective.js";
import type { PlanRoute } from "./plan-route.js";

export { formatPlanRoute, type PlanRoute } from "./plan-route.js";

/** What a policy is asked to plan for this round. */
export interface PlannerInput {
  nowMs: number;
  /** The hosts to plan this round (online, controllable, in a planned state): all of them, or those with fresh telemetry. */
  hosts: HostView[];
  /** What each host is to be optimised for, by hostId; a host missing here is planned for "energy". */
  objectives: ReadonlyMap<string, HostObjective>;
}

/**
 * The planner seam: B1, B2 and later MPC all implement it. A policy may keep per-host memory keyed by hostId; a round
 * may plan only some hosts (those with fresh telemetry), so memory is dropped only when the planner says forget().
 */
export interface PlanningPolicy {
  /** "b1", "b2", later "mpc": names the policy in logs, metrics and benchmark results. */
  readonly id: string;
  plan(input: PlannerInput): SetpointProposal[];
  /** Drops per-host memory: the hosts went offline, into Error, or away; they start afresh if they come back. */
  forget(hostIds: Iterable<string>): void;
  /** Who plans the host when this policy is asked to (absent: the policy itself, always). */
  routeOf?(hostId: string): PlanRoute;
}

/** The objective a policy should apply to a host (energy when the planner gave none). */
export function objectiveFor(input: PlannerInput, hostId: string): HostObjective {
  return input.objectives.get(hostId) ?? ENERGY_OBJECTIVE;
}
