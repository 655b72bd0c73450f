/** What the workload asks of a host at one instant. */
export interface WorkloadPoint {
  /** CPU utilisation 0..1. */
  cpuUtil: number;
  /** Storage throughput over all drives. */
  diskMBps: number;
  inletC: number;
}

/** Inputs as a pure function of simulated time: at(t) may be called in any order, any number of times. */
export interface Workload {
  readonly name: string;
  readonly durationS: number;
  /** Past durationS the last point holds; before 0 the first. */
  at(tS: number): WorkloadPoint;
}

export type WorkloadId = "W1" | "W2" | "W3" | "W4" | "W7" | "W10";

export interface WorkloadOptions {
  /** Drives phase lengths, bursts and noise; the same seed gives the same workload. Default 1. */
  seed?: number;
  durationS?: number;
  /** Nominal inlet air temperature; default 25 °C. */
  inletC?: number;
  /**
   * How many times faster than written the workload plays: W7's day passes in 86 400 / timeCompression s; every other
   * workload's phases, bursts and ramps shrink by this factor (demos and tests that cannot wait for a 20-minute influx).
   * Default 1.
   */
  timeCompression?: number;
}

export const DEFAULT_INLET_C = 25;
