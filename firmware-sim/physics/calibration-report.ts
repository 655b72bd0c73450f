import { pathToFileURL } from "node:url";
import { listProfiles, loadProfile, type HostProfile } from "../profiles/index.js";
import { energyOptimalFanPct, firmwareSteadyState, steadyState } from "./steady-state.js";

/**
 * Calibration check for a profile: energy-optimal and firmware fan settings per load, and the fan % below which
 * full load runs away. Run after changing a profile: node dist/firmware-sim/physics/calibration-report.js [profile…]
 * The numbers for the shipped profiles are recorded in docs/simulator.md.
 */
export interface CalibrationRow {
  cpuUtil: number;
  optimalFanPct: number;
  optimalDieC: number;
  optimalPowerW: number;
  firmwareFanPct: number;
  firmwareDieC: number;
  firmwarePowerW: number;
}

export interface CalibrationReport {
  profileId: string;
  inletC: number;
  rows: CalibrationRow[];
  /** Highest fan % at which full load has no equilibrium (0 if none down to the fan floor). */
  fullLoadRunawayBelowPct: number;
}

export function calibrationReport(profile: HostProfile, inletC = 25, loads: readonly number[] = [0, 0.1, 0.25, 0.5, 0.75, 1]): CalibrationReport {
  const rows = loads.map((cpuUtil) => {
    const optimal = energyOptimalFanPct(profile, { cpuUtil, inletC });
    const firmware = firmwareSteadyState(profile, { cpuUtil, inletC });
    return {
      cpuUtil,
      optimalFanPct: optimal.fanPct,
      optimalDieC: optimal.dieC,
      optimalPowerW: optimal.totalPowerW,
      firmwareFanPct: firmware.fanPct,
      firmwareDieC: firmware.dieC,
      firmwarePowerW: firmware.totalPowerW,
    };
  });
  let fullLoadRunawayBelowPct = 0;
  for (let fanPct = 100; fanPct >= Math.ceil(profile.fans.minPct); fanPct--) {
    if (steadyState(profile, { cpuUtil: 1, inletC, fanPct }).runaway) {
      fullLoadRunawayBelowPct = fanPct;
      break;
    }
  }
  return { profileId: profile.id, inletC, rows, fullLoadRunawayBelowPct };
}

export function formatCalibrationReport(report: CalibrationReport): string {
  const lines = [
    `${report.profileId} at ${report.inletC} °C inlet (full load runs away at ≤ ${report.fullLoadRunawayBelowPct} % fan)`,
    "  util | optimum fan %  die °C  server W | firmware fan %  die °C  server W",
  ];
  for (const r of report.rows) {
    lines.push(
      `  ${r.cpuUtil.toFixed(2).padStart(4)} | ${String(r.optimalFanPct).padStart(13)} ${r.optimalDieC.toFixed(1).padStart(7)} ${r.optimalPowerW.toFixed(0).padStart(9)}` +
        ` | ${String(r.firmwareFanPct).padStart(14)} ${r.firmwareDieC.toFixed(1).padStart(7)} ${r.firmwarePowerW.toFixed(0).padStart(9)}`,
    );
  }
  return lines.join("\n");
}

const invokedPath = process.argv[1];
if (invokedPath !== undefined && import.meta.url === pathToFileURL(invokedPath).href) {
  const ids = process.argv.length > 2 ? process.argv.slice(2) : listProfiles();
  for (const id of ids) process.stdout.write(`${formatCalibrationReport(calibrationReport(loadProfile(id)))}\n\n`);
}
