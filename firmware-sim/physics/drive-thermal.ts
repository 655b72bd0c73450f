import type { DriveParams } from "../profiles/index.js";

/** Drive electrical power: idle plus a share of its active power proportional to throughput, saturating at maxMBps. */
export function drivePowerW(drive: DriveParams, mbps: number): number {
  return drive.idleW + drive.activeW * Math.min(1, Math.max(0, mbps) / drive.maxMBps);
}

/** Drive-to-air resistance r0 + k·Q^−0.8, Q the CFM over this drive (forced convection over a flat casing). */
export function driveResistanceCPerW(drive: DriveParams, totalCfm: number): number {
  return drive.r0CPerW + drive.kCPerW * Math.pow(totalCfm * drive.flowFraction, -0.8);
}
