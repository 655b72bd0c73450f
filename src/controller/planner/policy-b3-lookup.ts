import type { HostView, SetpointProposal } from "../types.js";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import { hasTrustedCpu, isTrusted } from "./margins.js";
import { objectiveFor, type PlannerInput, type PlanningPolicy } from "./policy.js";
import { DEFAULT_LEASE_PERIODS, leaseTtlMs, setpointsFor } from "./proposal.js";

/**
 * A load → fan table over a grid of CPU utilisation (%) and inlet temperature (°C): fanPct[i][j] is the fan % at
 * utilPcts[i] and inletCs[j]. Built offline (the benchmark takes each cell from the simulator's energy-optimal fan
 * speed plus a margin); both axes rise strictly.
 */
export interface LoadFanTable {
  utilPcts: readonly number[];
  inletCs: readonly number[];
  fanPct: readonly (readonly number[])[];
}

export interface B3LookupOptions {
  /** Fan points added per °C of headroom the objective asks for (Cooling, DataStorage), since the table has no target. */
  pctPerOffsetC?: number;
  /** Inlet assumed when no trusted inlet sensor reads (the hot end of the table: safe, not cheap). */
  fallbackInletC?: number;
  /** Load falls through a filter with this time constant (rises pass at once), so load noise does not hunt the fans. */
  loadFallTauS?: number;
  leasePeriods?: number;
}

export const B3_DEFAULT_PCT_PER_OFFSET_C = 2;
export const B3_DEFAULT_LOAD_FALL_TAU_S = 30;

function checkAxis(axis: readonly number[], name: string): void {
  if (axis.length === 0) throw new CoolfleetError(ErrorCode.ConfigInvalid, `b3 table: ${name} is empty`);
  axis.forEach((v, i) => {
    const prev = axis[i - 1];
    if (!Number.isFinite(v) || (prev !== undefined && v <= prev)) throw new CoolfleetError(ErrorCode.ConfigInvalid, `b3 table: ${name} must rise strictly (at index ${i})`);
  });
}

/** Index and weight of x between the two axis points around it, clamped to the ends. */
function bracket(axis: readonly number[], x: number): { i: number; w: number } {
  const last = axis.length - 1;
  if (x <= (axis[0] ?? 0) || last === 0) return { i: 0, w: 0 };
  if (x >= (axis[last] ?? 0)) return { i: last - 1, w: 1 };
  let i = 0;
  while (i < last - 1 && (axis[i + 1] ?? 0) <= x) i++;
  const lo = axis[i] ?? 0;
  const hi = axis[i + 1] ?? lo;
  return { i, w: hi > lo ? (x - lo) / (hi - lo) : 0 };
}

/** Bilinear interpolation in the table. */
export function lookupFanPct(table: LoadFanTable, utilPct: number, inletC: number): number {
  const u = bracket(table.utilPcts, utilPct);
  const t = bracket(table.inletCs, inletC);
  const at = (i: number, j: number): number => table.fanPct[Math.min(i, table.utilPcts.length - 1)]?.[Math.min(j, table.inletCs.length - 1)] ?? 100;
  const low = at(u.i, t.i) * (1 - t.w) + at(u.i, t.i + 1) * t.w;
  const high = at(u.i + 1, t.i) * (1 - t.w) + at(u.i + 1, t.i + 1) * t.w;
  return low * (1 - u.w) + high * u.w;
}

/**
 * B3, a leakage-aware lookup table: fan % from the current load and inlet temperature, no feedback. Its cells sit at
 * the whole-server energy optimum (fan watts against the leakage they save), so it is the honest "physics-only"
 * baseline: as good as its table, blind to anything the table did not foresee.
 */
export class B3LookupPolicy implements PlanningPolicy {
  readonly id = "b3";
  private readonly pctPerOffsetC: number;
  private readonly fallbackInletC: number;
  private readonly leasePeriods: number;
  private readonly loadFallTauS: number;
  private readonly load = new Map<string, { utilPct: number; atMs: number }>();

  constructor(
    private readonly table: LoadFanTable,
    options: B3LookupOptions = {},
  ) {
    checkAxis(table.utilPcts, "utilPcts");
    checkAxis(table.inletCs, "inletCs");
    if (table.fanPct.length !== table.utilPcts.length || table.fanPct.some((row) => row.length !== table.inletCs.length || row.some((v) => !Number.isFinite(v)))) {
      throw new CoolfleetError(ErrorCode.ConfigInvalid, `b3 table: fanPct must be ${table.utilPcts.length} rows of ${table.inletCs.length} finite numbers`);
    }
    this.pctPerOffsetC = options.pctPerOffsetC ?? B3_DEFAULT_PCT_PER_OFFSET_C;
    this.fallbackInletC = options.fallbackInletC ?? table.inletCs[table.inletCs.length - 1] ?? 35;
    this.leasePeriods = options.leasePeriods ?? DEFAULT_LEASE_PERIODS;
    this.loadFallTauS = options.loadFallTauS ?? B3_DEFAULT_LOAD_FALL_TAU_S;
  }

  plan(input: PlannerInput): SetpointProposal[] {
    const proposals: SetpointProposal[] = [];
    for (const host of input.hosts) {
      if (!hasTrustedCpu(host)) continue;
      const objective = objectiveFor(input, host.hostId);
      // Unknown load is treated as full load: a table without its input must err towards cooling.
      const utilPct = this.filteredLoad(host.hostId, host.cpuUtilPct ?? 100, input.nowMs);
      const offsetC = objective.targetOffsetC + objective.driveTargetOffsetC;
      const fanPct = lookupFanPct(this.table, utilPct, this.inletC(host)) + objective.biasPct + this.pctPerOffsetC * offsetC;
      const setpoints = setpointsFor(host.capabilities, fanPct, undefined);
      if (setpoints) proposals.push({ hostId: host.hostId, setpoints, ttlMs: leaseTtlMs(host, this.leasePeriods) });
    }
    return proposals;
  }

  forget(hostIds: Iterable<string>): void {
    for (const hostId of hostIds) this.load.delete(hostId);
  }

  /** Fast up, slow down: a load rise is cooled at once, a dip does not pull the fans down until it lasts. */
  private filteredLoad(hostId: string, utilPct: number, nowMs: number): number {
    const last = this.load.get(hostId);
    let next = utilPct;
    if (last && utilPct < last.utilPct && this.loadFallTauS > 0) {
      const dtS = Math.max(0, nowMs - last.atMs) / 1000;
      next = last.utilPct + (utilPct - last.utilPct) * (1 - Math.exp(-dtS / this.loadFallTauS));
    }
    this.load.set(hostId, { utilPct: next, atMs: nowMs });
    return next;
  }

  private inletC(host: HostView): number {
    let inletC: number | undefined;
    for (const t of host.temperatures) if (t.role === "inlet" && isTrusted(t)) inletC = Math.max(inletC ?? t.tempC, t.tempC);
    return inletC ?? this.fallbackInletC;
  }
}
