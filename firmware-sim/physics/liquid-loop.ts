import type { LiquidParams } from "../profiles/index.js";
import { THERMOSIPHON_LPM, WATER_W_PER_K_PER_LPM } from "./constants.js";

/** Loop flow; a degraded pump (worn impeller, air in the loop) delivers only healthFraction of its flow. */
export function loopFlowLpm(liquid: LiquidParams, pumpFrac: number, healthFraction: number): number {
  return Math.max(THERMOSIPHON_LPM, liquid.maxFlowLpm * pumpFrac * healthFraction);
}

/** Pump electrical power: cube of speed (affinity law). */
export function pumpPowerW(liquid: LiquidParams, pumpFrac: number): number {
  return liquid.pumpMaxPowerW * pumpFrac ** 3;
}

/**
 * Cold plate to loop (bulk coolant) resistance for one plate on its branch flow: the plate's convective resistance
 * (∝ flow^−0.6) plus half the coolant's temperature rise across the plate, so the plate sees the mean coolant temperature.
 */
export function coldPlateResistanceCPerW(liquid: LiquidParams, branchFlowLpm: number): number {
  return liquid.coldPlateAt1LpmCPerW * Math.pow(branchFlowLpm, -liquid.coldPlateFlowExponent) + 1 / (2 * WATER_W_PER_K_PER_LPM * branchFlowLpm);
}

/** Facility water (or radiator air) temperature the CDU rejects to. */
export function facilityC(liquid: LiquidParams, inletC: number): number {
  return inletC + liquid.facilityOffsetC;
}
