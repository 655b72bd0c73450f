import type { SimInputs, SimSnapshot } from "../physics/types.js";

/**
 * Small role interfaces the devices code against, so a test can drive the device layer with a hand-made
 * physics stand-in. SimHost, HostProfile, Workload and Rng satisfy them structurally.
 */

/** What the devices need from the thermal physics. */
export interface PhysicsHost {
  readonly hostId: string;
  step(dtS: number, inputs: SimInputs): void;
  snapshot(): SimSnapshot;
  setFanDead(index: number, dead: boolean): void;
  /** A partly failed fan: it reaches this fraction of its commanded speed (SimHost has it; stand-ins may not). */
  setFanHealth?(index: number, healthFraction: number): void;
}

/** The parts of a host profile that shape the device tree. */
export interface DeviceProfile {
  readonly id: string;
  readonly coolingKind: "air" | "liquid";
  readonly sockets: number;
  readonly cpuCount: number;
  readonly tjMaxC: number;
  readonly fans: {
    readonly count: number;
    readonly maxRpm: number;
    /** Per-fan RPM at 100 % where fans differ (a blower beside front fans). */
    readonly maxRpmByFan?: readonly number[] | undefined;
    readonly minPct: number;
  };
  readonly drives: readonly { readonly name: string }[];
  /** Stepwise L0 curve: at or above tempC the firmware runs the fans at fanPct. */
  readonly firmwareFanCurve: readonly (readonly [number, number])[];
  /** quantC: reading resolution of temperature sensors (1 °C when absent). */
  readonly sensors: { readonly noiseC: number; readonly lagS: number; readonly quantC?: number | undefined };
  /** The pump controller's automatic-mode speed, on liquid-cooled hosts. */
  readonly liquid?: { readonly firmwarePumpPct: number } | undefined;
}

export interface WorkloadInputs {
  cpuUtil: number;
  diskMBps: number;
  inletC: number;
}

/** A workload as the devices use it: inputs as a function of simulated time. */
export interface WorkloadSource {
  readonly name: string;
  readonly durationS: number;
  at(tS: number): WorkloadInputs;
}

/** The seeded randomness the sensor noise and the hwmon numbering draw from. */
export interface DeviceRng {
  next(): number;
  normal(mean?: number, sd?: number): number;
  fork(label: string): DeviceRng;
}
