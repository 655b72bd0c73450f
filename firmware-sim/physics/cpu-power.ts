import type { CpuParams } from "../profiles/index.js";
import { LEAKAGE_CEILING_C } from "./constants.js";

/**
 * Package power excluding leakage at utilisation 0..1: P(u) = P_idle + (P_max − P_idle)(2u − u^1.4).
 * The concave shape is the measured SPECpower curve: power rises fastest at low utilisation.
 */
export function cpuDemandW(cpu: CpuParams, util: number): number {
  const u = Math.min(1, Math.max(0, util));
  return cpu.idleW + (cpu.maxW - cpu.idleW) * (2 * u - Math.pow(u, 1.4));
}

/** Leakage (static) power of one package: exponential in die temperature, doubling every leakageDoublingK. */
export function leakageW(cpu: CpuParams, dieC: number): number {
  const tempC = Math.min(dieC, LEAKAGE_CEILING_C);
  return cpu.leakageAt85W * Math.pow(2, (tempC - 85) / cpu.leakageDoublingK);
}

/** d(leakage)/d(die temperature); zero above the ceiling where leakage is held constant. */
export function leakageSlopeWPerK(cpu: CpuParams, dieC: number): number {
  if (dieC >= LEAKAGE_CEILING_C) return 0;
  return (leakageW(cpu, dieC) * Math.LN2) / cpu.leakageDoublingK;
}
