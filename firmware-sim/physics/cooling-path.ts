import type { HostProfile } from "../profiles/index.js";
import { AIR_W_PER_K_PER_CFM, NATURAL_DRAFT_CFM } from "./constants.js";
import { driveResistanceCPerW } from "./drive-thermal.js";
import { fanCfm, fanGroup } from "./fan-bank.js";
import { coldPlateResistanceCPerW, loopFlowLpm } from "./liquid-loop.js";

/** Flows and resistances for one set of fan and pump speeds; shared by the dynamic model and the steady-state solver. */
export interface CoolingPath {
  /** Chassis airflow. */
  totalCfm: number;
  /** Heatsink (air) or cold plate (liquid) to its reference temperature, per socket, including the coolant's own rise. */
  sinkToRefCPerW: number[];
  /** Drive to inlet air, per drive. */
  driveToAirCPerW: number[];
  /** Loop flow; 0 on air-cooled hosts. */
  flowLpm: number;
}

/**
 * Heatsink resistance Ψ(Q) = r0 + k·Q^−n plus the air's own temperature rise through the fins: the fins see the
 * mean of entering and leaving air, so half of P/(ṁ·cp) adds to the rise. That term ∝ 1/Q is what makes the air
 * at the heatsink heat up as the fans slow.
 */
export function heatsinkToAirCPerW(profile: HostProfile, sinkCfm: number): number {
  const heatsink = profile.heatsink;
  if (!heatsink) throw new Error(`profile ${profile.id} has no heatsink`);
  return heatsink.r0CPerW + heatsink.kCPerW * Math.pow(sinkCfm, -heatsink.exponentN) + 1 / (2 * AIR_W_PER_K_PER_CFM * sinkCfm);
}

/** Airflow through one socket's heatsink: its share of the chassis flow, weighted towards the fans right in front of it. */
export function heatsinkCfm(profile: HostProfile, fanSpeedFracs: readonly number[], socketIndex: number): number {
  const { fans, sockets } = profile;
  const flowFraction = profile.heatsink?.flowFraction ?? 0;
  const fanFlows = fanSpeedFracs.map((s) => fanCfm(fans, s));
  const total = fanFlows.reduce((a, b) => a + b, 0);
  const { start, end } = fanGroup(fans.count, sockets, socketIndex);
  const groupTotal = fanFlows.slice(start, end).reduce((a, b) => a + b, 0);
  // The group's flow scaled up as if every fan ran like this group.
  const groupAsChassis = (groupTotal * fans.count) / Math.max(1, end - start);
  const effectiveTotal = fans.socketLocality * groupAsChassis + (1 - fans.socketLocality) * total;
  return (flowFraction / sockets) * Math.max(NATURAL_DRAFT_CFM, effectiveTotal);
}

export function chassisCfm(profile: HostProfile, fanSpeedFracs: readonly number[]): number {
  const total = fanSpeedFracs.reduce((sum, s) => sum + fanCfm(profile.fans, s), 0);
  return Math.max(NATURAL_DRAFT_CFM, total);
}

export function coolingPath(profile: HostProfile, fanSpeedFracs: readonly number[], pumpFrac: number, pumpHealth: number): CoolingPath {
  const totalCfm = chassisCfm(profile, fanSpeedFracs);
  const driveToAirCPerW = profile.drives.map((drive) => driveResistanceCPerW(drive, totalCfm));
  const liquid = profile.liquid;
  if (profile.coolingKind === "liquid" && liquid) {
    const flowLpm = loopFlowLpm(liquid, pumpFrac, pumpHealth);
    const plateCPerW = coldPlateResistanceCPerW(liquid, flowLpm / profile.sockets);
    return { totalCfm, sinkToRefCPerW: Array.from({ length: profile.sockets }, () => plateCPerW), driveToAirCPerW, flowLpm };
  }
  const sinkToRefCPerW = Array.from({ length: profile.sockets }, (_, j) => heatsinkToAirCPerW(profile, heatsinkCfm(profile, fanSpeedFracs, j)));
  return { totalCfm, sinkToRefCPerW, driveToAirCPerW, flowLpm: 0 };
}

/** Air temperature reaching the CPUs: inlet plus the heat released upstream (drives, fans, part of the platform). */
export function cpuInletC(inletC: number, upstreamHeatW: number, totalCfm: number): number {
  return inletC + upstreamHeatW / (AIR_W_PER_K_PER_CFM * totalCfm);
}
