import type { HostView } from "./types.js";

/** Electrical power of a fan or pump group at pct % of full speed: its power at 100 % by the cube law. */
export function cubeLawW(maxPowerW: number, pct: number): number {
  return maxPowerW * (pct / 100) ** 3;
}

/**
 * A host's fan + pump power now, W, estimated from the watts its birth announces at 100 % (capabilities
 * `fans.maxPowerW`, `pump.maxPowerW`) by the cube law at the outputs its latest telemetry reports. null when the
 * host is offline or a group it runs has no announced watts or no reported output: no guess stands in for data.
 */
export function estimatedCoolingW(view: HostView): number | null {
  const caps = view.capabilities;
  if (!view.online || !caps) return null;
  const group = (maxPowerW: number | undefined, pct: number | undefined): number | null =>
    maxPowerW === undefined || pct === undefined || !Number.isFinite(pct) ? null : cubeLawW(maxPowerW, Math.min(100, Math.max(0, pct)));
  const fansW = group(caps.fans.maxPowerW, view.fanPct);
  if (fansW === null) return null;
  if (!caps.pump) return fansW;
  const pumpW = group(caps.pump.maxPowerW, view.pumpPct);
  return pumpW === null ? null : fansW + pumpW;
}

/** The fleet's estimated cooling power, W, over the online hosts that allow an estimate, and how many those are. */
export function fleetCoolingW(views: readonly HostView[]): { watts: number | null; hosts: number } {
  let watts = 0;
  let hosts = 0;
  for (const view of views) {
    const w = estimatedCoolingW(view);
    if (w === null) continue;
    watts += w;
    hosts++;
  }
  return { watts: hosts > 0 ? watts : null, hosts };
}
