import type { HostView, SetpointProposal } from "../types.js";
import { worstMarginC } from "./margins.js";
import type { HostObjective } from "./objective.js";
import { setpointsFor } from "./proposal.js";
import { fanZone, pumpZone } from "./zones.js";

/**
 * A baseline that takes a host over must not cool it less while it is already too hot: while any trusted sensor a
 * group cools is at or above its (objective-adjusted) target, that group's set-point is raised to at least what the
 * host runs now. A stock curve's step for "just over target" (70 % on B1's) sits below what a host already over its
 * target typically runs (90 % on the simulated PowerEdge's own firmware curve), and turning the fans down there is
 * what overshoots.
 */
export function noCutWhileHot(proposal: SetpointProposal, host: HostView, objective: HostObjective): SetpointProposal {
  const caps = host.capabilities;
  let fanPct = proposal.setpoints.fanPct;
  let pumpPct = proposal.setpoints.pumpPct;
  if (fanPct !== undefined && host.fanPct !== undefined && isHot(host, fanZone(caps), objective)) fanPct = Math.max(fanPct, host.fanPct);
  if (pumpPct !== undefined && host.pumpPct !== undefined && isHot(host, pumpZone(caps), objective)) pumpPct = Math.max(pumpPct, host.pumpPct);
  if (fanPct === proposal.setpoints.fanPct && pumpPct === proposal.setpoints.pumpPct) return proposal;
  // Clamped to the host's bounds again: what a host runs can sit above them (the agent's own override).
  const setpoints = setpointsFor(caps, fanPct, pumpPct);
  return setpoints ? { ...proposal, setpoints } : proposal;
}

function isHot(host: HostView, zone: ReturnType<typeof fanZone>, objective: HostObjective): boolean {
  const marginC = worstMarginC(host, zone, objective);
  return marginC !== undefined && marginC >= 0;
}
