import type { Capabilities, Setpoints } from "../../protocol/index.js";
import type { HostView } from "../types.js";

/** Leases last this many host periods by default: one lost command is survived, a dead controller is noticed fast. */
export const DEFAULT_LEASE_PERIODS = 3;

/** A proposal's lease: leasePeriods × the host's period, never above what the agent honours (maxLeaseMs). */
export function leaseTtlMs(host: HostView, leasePeriods = DEFAULT_LEASE_PERIODS): number {
  const ttlMs = Math.round(leasePeriods * host.periodMs);
  const maxLeaseMs = host.capabilities?.maxLeaseMs ?? ttlMs;
  return Math.max(1, Math.min(ttlMs, maxLeaseMs));
}

/** Whether the controller may set the fans: only "full" tier (floor/monitor hosts keep their own control). */
export function controlsFans(caps: Capabilities | undefined): boolean {
  return caps?.fans.tier === "full";
}

/** Whether the controller may set the pump: only when there is one, at "full" tier. */
export function controlsPump(caps: Capabilities | undefined): boolean {
  return caps?.pump?.tier === "full";
}

function clampPct(pct: number, minPct: number, maxPct: number): number {
  return Math.min(maxPct, Math.max(minPct, pct));
}

/**
 * The set-points a host may receive for the given demands: each clamped to its actuator's [minPct, maxPct], dropped
 * when the controller may not drive that actuator or the demand is not a finite number. undefined when none is left.
 */
export function setpointsFor(caps: Capabilities | undefined, fanPct: number | undefined, pumpPct: number | undefined): Setpoints | undefined {
  const setpoints: Setpoints = {};
  if (caps && controlsFans(caps) && fanPct !== undefined && Number.isFinite(fanPct)) {
    setpoints.fanPct = clampPct(fanPct, caps.fans.minPct, caps.fans.maxPct);
  }
  if (caps?.pump && controlsPump(caps) && pumpPct !== undefined && Number.isFinite(pumpPct)) {
    setpoints.pumpPct = clampPct(pumpPct, caps.pump.minPct, caps.pump.maxPct);
  }
  return setpoints.fanPct === undefined && setpoints.pumpPct === undefined ? undefined : setpoints;
}
