import type { SensorRole } from "../../protocol/index.js";
import type { HostTemperature, HostView } from "../types.js";
import type { HostObjective } from "./objective.js";

/** A temperature the planner may act on: reported "ok" with a finite value. Anything else is the agent's to handle. */
export function isTrusted(t: HostTemperature): t is HostTemperature & { tempC: number } {
  return t.quality === "ok" && t.tempC !== null && Number.isFinite(t.tempC);
}

/** The target the objective aims at for this sensor: lowered by the objective's offsets (drives lowered further). */
export function effectiveTargetC(t: HostTemperature, objective: HostObjective): number {
  const driveOffsetC = t.role === "drive" ? objective.driveTargetOffsetC : 0;
  return t.targetC - objective.targetOffsetC - driveOffsetC;
}

/**
 * The worst margin max(tempC − effective target) over trusted temps in the given roles; negative = headroom.
 * undefined when no trusted temperature in those roles is left.
 */
export function worstMarginC(host: HostView, roles: ReadonlySet<SensorRole>, objective: HostObjective): number | undefined {
  let worst: number | undefined;
  for (const t of host.temperatures) {
    if (!roles.has(t.role) || !isTrusted(t)) continue;
    const marginC = t.tempC - effectiveTargetC(t, objective);
    if (worst === undefined || marginC > worst) worst = marginC;
  }
  return worst;
}

/** Whether a host has a trusted CPU temperature: without one no policy proposes anything (the agent's failsafe rules). */
export function hasTrustedCpu(host: HostView): boolean {
  return host.temperatures.some((t) => t.role === "cpu" && isTrusted(t));
}
