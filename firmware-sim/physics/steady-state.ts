import type { HostProfile } from "../profiles/index.js";
import type { SimHost } from "./sim-host.js";
import { NO_FAULTS, solveFirmwareSteadyState, solveSteadyState, type HostFaults, type OperatingPoint, type SteadySolution } from "./steady-solver.js";

export type { OperatingPoint, SteadySolution } from "./steady-solver.js";

export interface SteadyState {
  /** Hottest die. When runaway, the ceiling (150 °C) — there is no equilibrium. */
  dieC: number;
  /** Whole-server power: CPUs with leakage, drives, platform, fans, pump. */
  totalPowerW: number;
  coolingPowerW: number;
  /** Leakage summed over the sockets. */
  leakageW: number;
  /** No fixed point below the ceiling with throttling ignored: leakage feedback wins. */
  runaway: boolean;
  /** The fan % actually applied (commands below the firmware floor run at the floor). */
  fanPct: number;
  exhaustC: number;
  driveC: number[];
}

/**
 * A live host brings its spread parameters and its faults (dead fans, degraded pump); a profile is taken as nominal.
 * Told apart by shape rather than instanceof, so a host from another copy of the module (src vs dist) still counts.
 */
function resolve(hostOrProfile: SimHost | HostProfile): { params: HostProfile; faults: HostFaults } {
  return "faults" in hostOrProfile && typeof hostOrProfile.faults === "function"
    ? { params: hostOrProfile.params, faults: hostOrProfile.faults() }
    : { params: hostOrProfile as HostProfile, faults: NO_FAULTS };
}

function summarise(solution: SteadySolution): SteadyState {
  return {
    dieC: Math.max(...solution.dieC),
    totalPowerW: solution.serverPowerW,
    coolingPowerW: solution.coolingPowerW,
    leakageW: solution.leakageW.reduce((a, b) => a + b, 0),
    runaway: solution.runaway,
    fanPct: solution.fanPct,
    exhaustC: solution.exhaustC,
    driveC: solution.driveC,
  };
}

/** Equilibrium of a host held at one operating point, ignoring throttling. */
export function steadyState(host: SimHost | HostProfile, op: OperatingPoint): SteadyState {
  const { params, faults } = resolve(host);
  return summarise(solveSteadyState(params, faults, op));
}

/**
 * The fan % (1 % steps from the profile minimum to 100) that minimises whole-server power — fan power plus the
 * leakage it saves — among points that neither run away nor sit above Tj max (those would throttle, so their power
 * figures are not real). If no point qualifies, 100 %.
 */
export function energyOptimalFanPct(
  hostOrProfile: SimHost | HostProfile,
  op: { cpuUtil: number; inletC: number; pumpPct?: number; diskMBps?: number },
): { fanPct: number; dieC: number; totalPowerW: number } {
  const { params, faults } = resolve(hostOrProfile);
  let best: SteadyState | undefined;
  for (let fanPct = Math.ceil(params.fans.minPct); fanPct <= 100; fanPct++) {
    const state = summarise(solveSteadyState(params, faults, { ...op, fanPct }));
    if (state.runaway || state.dieC > params.tjMaxC) continue;
    if (!best || state.totalPowerW < best.totalPowerW) best = state;
  }
  const chosen = best ?? summarise(solveSteadyState(params, faults, { ...op, fanPct: 100 }));
  return { fanPct: chosen.fanPct, dieC: chosen.dieC, totalPowerW: chosen.totalPowerW };
}

/** Where the firmware's automatic mode (the profile's stepwise fan curve on the hottest die) settles at this load. */
export function firmwareSteadyState(
  hostOrProfile: SimHost | HostProfile,
  op: { cpuUtil: number; inletC: number; pumpPct?: number; diskMBps?: number },
): SteadyState {
  const { params, faults } = resolve(hostOrProfile);
  return summarise(solveFirmwareSteadyState(params, faults, op));
}
