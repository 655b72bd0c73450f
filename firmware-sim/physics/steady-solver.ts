import type { HostProfile } from "../profiles/index.js";
import { AIR_W_PER_K_PER_CFM, RUNAWAY_CEILING_C, WATER_W_PER_K_PER_LPM } from "./constants.js";
import { cpuDemandW, leakageW } from "./cpu-power.js";
import { coolingPath, cpuInletC } from "./cooling-path.js";
import { drivePowerW } from "./drive-thermal.js";
import { fanPowerW, fanTargetFrac } from "./fan-bank.js";
import { firmwareFanPct } from "./firmware-curve.js";
import { facilityC, pumpPowerW } from "./liquid-loop.js";

/** Faults that change the steady state: which fans are dead and how much flow the pump still delivers. */
export interface HostFaults {
  deadFans: readonly boolean[];
  /** 1 = healthy pump. */
  pumpHealth: number;
}

export const NO_FAULTS: HostFaults = { deadFans: [], pumpHealth: 1 };

export interface OperatingPoint {
  cpuUtil: number;
  inletC: number;
  /** Same command to every fan; clamped to the profile's floor like the firmware does. */
  fanPct: number;
  /** Defaults to the CDU's automatic pump speed; ignored on air-cooled hosts. */
  pumpPct?: number;
  diskMBps?: number;
}

/** Every node of the host at equilibrium, ignoring throttling. */
export interface SteadySolution {
  fanPct: number;
  pumpPct: number;
  runaway: boolean;
  dieC: number[];
  sinkC: number[];
  demandW: number[];
  leakageW: number[];
  driveC: number[];
  drivePowerW: number[];
  /** Bulk coolant temperature; NaN on air-cooled hosts. */
  loopC: number;
  flowLpm: number;
  fanPowerW: number;
  pumpPowerW: number;
  platformW: number;
  coolingPowerW: number;
  serverPowerW: number;
  exhaustC: number;
}

/**
 * Lowest fixed point of die = ref + R·(P + L(die)). L is convex, so h(T) = ref + R·(P + L(T)) − T has at most two
 * roots; the lower one exists iff h ≤ 0 somewhere, checked at its minimum (where R·L'(T) = 1) or at the ceiling.
 * No root means leakage feedback wins: thermal runaway.
 */
export function solveDieC(profile: HostProfile, demandW: number, refC: number, dieToRefCPerW: number): { dieC: number; runaway: boolean } {
  const cpu = profile.cpu;
  const h = (t: number): number => refC + dieToRefCPerW * (demandW + leakageW(cpu, t)) - t;
  let hi = RUNAWAY_CEILING_C;
  if (cpu.leakageAt85W > 0) {
    const a = Math.LN2 / cpu.leakageDoublingK;
    const minimumC = 85 + Math.log(1 / (dieToRefCPerW * a * cpu.leakageAt85W)) / a;
    hi = Math.min(hi, minimumC);
  }
  if (hi <= refC || h(hi) > 0) {
    const linearC = refC + dieToRefCPerW * (demandW + leakageW(cpu, refC));
    // Without leakage the die simply sits above the ceiling; only leakage feedback makes it a runaway.
    if (cpu.leakageAt85W === 0) return { dieC: linearC, runaway: false };
    return { dieC: RUNAWAY_CEILING_C, runaway: true };
  }
  let lo = refC;
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if (h(mid) > 0) lo = mid;
    else hi = mid;
  }
  return { dieC: (lo + hi) / 2, runaway: false };
}

function pumpPctFor(profile: HostProfile, op: OperatingPoint): number {
  const liquid = profile.liquid;
  if (!liquid) return 0;
  return Math.min(100, Math.max(liquid.pumpMinPct, op.pumpPct ?? liquid.firmwarePumpPct));
}

export function solveSteadyState(profile: HostProfile, faults: HostFaults, op: OperatingPoint): SteadySolution {
  const fanFracs = Array.from({ length: profile.fans.count }, (_, i) => fanTargetFrac(profile.fans, op.fanPct, faults.deadFans[i] ?? false));
  const fanPct = Math.min(100, Math.max(profile.fans.minPct, op.fanPct));
  const pumpPct = pumpPctFor(profile, op);
  const path = coolingPath(profile, fanFracs, pumpPct / 100, faults.pumpHealth);
  const util = Math.min(1, Math.max(0, op.cpuUtil));
  const perDriveMBps = (op.diskMBps ?? 0) / Math.max(1, profile.drives.length);

  const drivePower = profile.drives.map((d) => drivePowerW(d, perDriveMBps));
  const driveC = drivePower.map((p, i) => op.inletC + p * (path.driveToAirCPerW[i] ?? 0));
  const fanPower = fanFracs.reduce((sum, s) => sum + fanPowerW(profile.fans, s), 0);
  const pumpPower = profile.liquid ? pumpPowerW(profile.liquid, pumpPct / 100) : 0;
  const platformW = profile.platform.idleW + profile.platform.loadW * util;
  const driveHeat = drivePower.reduce((a, b) => a + b, 0);
  const demand = cpuDemandW(profile.cpu, util);
  const r1 = profile.socket.dieToSinkCPerW;

  const sockets = Array.from({ length: profile.sockets }, () => ({ dieC: 0, runaway: false }));
  let loopC = Number.NaN;
  if (profile.liquid) {
    const liquid = profile.liquid;
    const facility = facilityC(liquid, op.inletC);
    const pumpHeat = liquid.pumpHeatFraction * pumpPower;
    // Monotone fixed-point iteration from the facility temperature converges upwards to the lowest equilibrium.
    loopC = facility;
    for (let iter = 0; iter < 500; iter++) {
      let heat = pumpHeat;
      path.sinkToRefCPerW.forEach((r2, j) => {
        sockets[j] = solveDieC(profile, demand, loopC, r1 + r2);
        heat += demand + leakageW(profile.cpu, sockets[j]?.dieC ?? loopC);
      });
      const next = facility + liquid.radiatorCPerW * heat;
      const converged = Math.abs(next - loopC) < 1e-9;
      loopC = next;
      if (converged || sockets.some((s) => s.runaway)) break;
    }
  } else {
    const upstreamW = driveHeat + fanPower + profile.platform.upstreamFraction * platformW;
    const refC = cpuInletC(op.inletC, upstreamW, path.totalCfm);
    path.sinkToRefCPerW.forEach((r2, j) => {
      sockets[j] = solveDieC(profile, demand, refC, r1 + r2);
    });
  }

  const leakage = sockets.map((s) => leakageW(profile.cpu, s.dieC));
  const socketHeat = leakage.map((l) => demand + l);
  const sinkC = sockets.map((s, j) => s.dieC - r1 * (socketHeat[j] ?? 0));
  const cpuW = socketHeat.reduce((a, b) => a + b, 0);
  const coolingPowerW = fanPower + pumpPower;
  const airHeatW = driveHeat + fanPower + platformW + (profile.liquid ? 0 : cpuW);
  return {
    fanPct,
    pumpPct,
    runaway: sockets.some((s) => s.runaway),
    dieC: sockets.map((s) => s.dieC),
    sinkC,
    demandW: sockets.map(() => demand),
    leakageW: leakage,
    driveC,
    drivePowerW: drivePower,
    loopC,
    flowLpm: path.flowLpm,
    fanPowerW: fanPower,
    pumpPowerW: pumpPower,
    platformW,
    coolingPowerW,
    serverPowerW: cpuW + driveHeat + platformW + coolingPowerW,
    exhaustC: op.inletC + airHeatW / (AIR_W_PER_K_PER_CFM * path.totalCfm),
  };
}

/**
 * Where the firmware's automatic mode settles at a constant load: the lowest curve step whose fan % keeps the hottest
 * die below the next step up. Faster fans only cool, so the steps that hold themselves form an upper range and the
 * stepwise controller (stepping up at once, down with hysteresis) comes to rest on the lowest of them.
 */
export function solveFirmwareSteadyState(profile: HostProfile, faults: HostFaults, op: Omit<OperatingPoint, "fanPct">): SteadySolution {
  const levels = [...new Set(profile.firmwareFanCurve.map(([, fanPct]) => fanPct))].sort((a, b) => a - b);
  for (const fanPct of levels) {
    const solution = solveSteadyState(profile, faults, { ...op, fanPct });
    if (!solution.runaway && firmwareFanPct(profile.firmwareFanCurve, Math.max(...solution.dieC)) <= fanPct) return solution;
  }
  return solveSteadyState(profile, faults, { ...op, fanPct: levels[levels.length - 1] ?? 100 });
}

/** Coolant leaving the CDU and coming back from the plates, around the bulk loop temperature. */
export function coolantSupplyReturnC(loopC: number, heatIntoLoopW: number, flowLpm: number): { supplyC: number; returnC: number } {
  const halfRiseC = heatIntoLoopW / (2 * WATER_W_PER_K_PER_LPM * flowLpm);
  return { supplyC: loopC - halfRiseC, returnC: loopC + halfRiseC };
}
