import type { CpuParams, SocketThermalParams } from "../profiles/index.js";
import { leakageSlopeWPerK, leakageW } from "./cpu-power.js";

/**
 * One CPU socket as a two-node RC network: die —R1— sink —R2— reference (CPU-inlet air or loop coolant).
 * Integrated with the trapezoidal rule (Crank–Nicolson): second-order accurate, so 2 × 0.5 s and 10 × 0.1 s agree,
 * and stable for every step we take (die τ = C_die·R1 ≈ 3 s ≫ the 0.5 s sub-step, so no ringing).
 */
const THETA = 0.5;

export interface SocketNodes {
  dieC: number;
  sinkC: number;
}

export interface SocketStepInput {
  cpu: CpuParams;
  thermal: SocketThermalParams;
  /** Package power the workload asks for, excluding leakage. */
  demandW: number;
  /** Sink to reference resistance for this sub-step. */
  sinkToRefCPerW: number;
  refC: number;
  tjMaxC: number;
  throttleEnabled: boolean;
  dtS: number;
}

export interface SocketStepResult extends SocketNodes {
  /** Package power actually drawn (after throttling), excluding leakage. */
  dynamicW: number;
  leakageW: number;
  throttled: boolean;
  /** Heat leaving the sink to the reference at the end of the step. */
  sinkHeatW: number;
}

/**
 * Leakage is linearised around the current die temperature (L ≈ L0 + g·(T − T0)), which keeps the step linear in
 * the package power: die' = α + β·P. Throttling then solves for the P that puts the die exactly at Tj max, the way
 * the CPU's thermal control cuts frequency until PROCHOT clears.
 */
export function stepSocket(nodes: SocketNodes, input: SocketStepInput): SocketStepResult {
  const { cpu, thermal, dtS: h } = input;
  const g1 = 1 / thermal.dieToSinkCPerW;
  const g2 = 1 / input.sinkToRefCPerW;
  const cd = thermal.dieHeatCapJPerK;
  const cs = thermal.sinkHeatCapJPerK;
  const leak0 = leakageW(cpu, nodes.dieC);
  const slope = leakageSlopeWPerK(cpu, nodes.dieC);

  // dx/dt = A·x + b with x = [die, sink]; b[0] carries the package power.
  const a00 = (slope - g1) / cd;
  const a01 = g1 / cd;
  const a10 = g1 / cs;
  const a11 = -(g1 + g2) / cs;
  const b0Fixed = (leak0 - slope * nodes.dieC) / cd;
  const b1 = (g2 * input.refC) / cs;

  // (I − θhA)·x' = (I + (1−θ)hA)·x + h·b
  const m00 = 1 - THETA * h * a00;
  const m01 = -THETA * h * a01;
  const m10 = -THETA * h * a10;
  const m11 = 1 - THETA * h * a11;
  const det = m00 * m11 - m01 * m10;
  const explicit = (1 - THETA) * h;
  const r0Fixed = nodes.dieC + explicit * (a00 * nodes.dieC + a01 * nodes.sinkC) + h * b0Fixed;
  const r1 = nodes.sinkC + explicit * (a10 * nodes.dieC + a11 * nodes.sinkC) + h * b1;
  // Cramer's rule, split into the part independent of power and the part per watt.
  const dieFixed = (r0Fixed * m11 - m01 * r1) / det;
  const diePerW = ((h / cd) * m11) / det;

  let dynamicW = input.demandW;
  let throttled = false;
  if (input.throttleEnabled && dieFixed + diePerW * dynamicW > input.tjMaxC) {
    // Throttling cuts the workload's dynamic power, never below the idle floor.
    const floorW = Math.min(cpu.idleW, input.demandW);
    dynamicW = Math.min(input.demandW, Math.max(floorW, (input.tjMaxC - dieFixed) / diePerW));
    throttled = true;
  }
  const r0 = r0Fixed + (h / cd) * dynamicW;
  const dieC = (r0 * m11 - m01 * r1) / det;
  const sinkC = (m00 * r1 - m10 * r0) / det;
  return { dieC, sinkC, dynamicW, leakageW: leakageW(cpu, dieC), throttled, sinkHeatW: (sinkC - input.refC) * g2 };
}

/** One lumped node (drive, coolant) with the same trapezoidal rule: C·dT/dt = P − (T − ref)/R. */
export function stepLumpedNode(tempC: number, heatCapJPerK: number, powerW: number, refC: number, toRefCPerW: number, dtS: number): number {
  const g = 1 / toRefCPerW;
  const c = heatCapJPerK / dtS;
  return (tempC * (c - (1 - THETA) * g) + powerW + g * refC) / (c + THETA * g);
}
