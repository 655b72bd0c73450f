import type { DeviceRng } from "./device-contracts.js";
import { SentinelValue, type SensorFault } from "./sensor-fault.js";

/** What a channel measures; decides the sysfs unit and the default sentinel. */
export type SensorQuantity = "temperature" | "fan" | "power" | "flow";

export interface SensorChannelOptions {
  /** Stable id, "<chip id>:<attribute>", e.g. "coretemp.0:temp1". */
  id: string;
  /** The kernel's label for the channel, e.g. "Package id 0"; also accepted as a selector. */
  label?: string;
  quantity: SensorQuantity;
  /** First-order lag time constant; 0 reports the true value at once. */
  lagS?: number;
  /** Standard deviation of the Gaussian noise added to each report, in the channel's unit. */
  noiseSd?: number;
  /** Required when noiseSd > 0; each channel should get its own fork so faults elsewhere do not shift its noise. */
  rng?: DeviceRng;
  /** Maps a value to what the hardware can represent (1 °C steps, tachometer counts …). */
  quantise?: (value: number) => number;
  /** Report the mean over windows of this length, holding the last mean in between (ACPI power meters). */
  averageOverS?: number;
}

/** Quantises to whole units (RPM, W, dL/h). */
export const quantiseToWhole = (value: number): number => Math.round(value);

/** Quantises to steps of stepSize (a temperature sensor's resolution, 1 °C typically). */
export function quantiseTo(stepSize: number): (value: number) => number {
  if (!(stepSize > 0)) return quantiseToWhole;
  return (value) => Math.round(value / stepSize) * stepSize;
}

/**
 * Turns a true physical value into what one sensor reports: lag, then noise, then quantisation, then any fault.
 * One report per device step.
 */
export class SensorChannel {
  readonly id: string;
  readonly label: string | undefined;
  readonly quantity: SensorQuantity;
  private readonly lagS: number;
  private readonly noiseSd: number;
  private readonly rng: DeviceRng | undefined;
  private readonly quantise: (value: number) => number;
  private readonly averageOverS: number;

  private lagged: number | undefined;
  private windowSum = 0;
  private windowS = 0;
  private heldMean: number | undefined;
  private reported: number | null = null;
  private lastNonNull: number | undefined;
  private activeFault: SensorFault | undefined;
  private spikeReportsLeft = 0;

  constructor(opts: SensorChannelOptions) {
    this.id = opts.id;
    this.label = opts.label;
    this.quantity = opts.quantity;
    this.lagS = Math.max(0, opts.lagS ?? 0);
    this.noiseSd = Math.max(0, opts.noiseSd ?? 0);
    this.rng = opts.rng;
    if (this.noiseSd > 0 && !this.rng) throw new Error(`sensor ${opts.id}: noise needs an rng`);
    this.quantise = opts.quantise ?? ((v) => v);
    this.averageOverS = Math.max(0, opts.averageOverS ?? 0);
  }

  get fault(): SensorFault | undefined {
    return this.activeFault;
  }

  /** The value of the last report; null while the sensor is dropped out or before the first report. */
  get lastReport(): number | null {
    return this.reported;
  }

  setFault(fault: SensorFault): void {
    this.activeFault = fault;
    this.spikeReportsLeft = fault.kind === "spike" ? Math.max(1, Math.floor(fault.reports ?? 1)) : 0;
  }

  clearFault(): void {
    this.activeFault = undefined;
    this.spikeReportsLeft = 0;
  }

  /** Advances the sensor by dtS with the current true value; returns the report (null = the file is gone). */
  report(trueValue: number, dtS: number): number | null {
    const clean = this.cleanReport(trueValue, dtS);
    const value = this.applyFault(clean);
    this.reported = value;
    if (value !== null) this.lastNonNull = value;
    return value;
  }

  private cleanReport(trueValue: number, dtS: number): number {
    // The filter keeps running under every fault, so a cleared fault resumes where the physics is.
    if (this.lagged === undefined || this.lagS === 0) this.lagged = trueValue;
    else this.lagged += (trueValue - this.lagged) * (1 - Math.exp(-dtS / this.lagS));
    const sensed = this.averaged(this.lagged, dtS);
    // Noise is drawn on every report, faulted or not, so a fault never shifts the channel's noise sequence.
    const noise = this.noiseSd > 0 && this.rng ? this.rng.normal(0, this.noiseSd) : 0;
    return this.quantise(sensed + noise);
  }

  private averaged(value: number, dtS: number): number {
    if (this.averageOverS === 0) return value;
    if (this.heldMean === undefined) {
      this.heldMean = value;
      return value;
    }
    this.windowSum += value * dtS;
    this.windowS += dtS;
    if (this.windowS + 1e-9 >= this.averageOverS) {
      this.heldMean = this.windowSum / this.windowS;
      this.windowSum = 0;
      this.windowS = 0;
    }
    return this.heldMean;
  }

  private applyFault(clean: number): number | null {
    const fault = this.activeFault;
    if (!fault) return clean;
    switch (fault.kind) {
      case "stuck":
        return this.lastNonNull ?? clean;
      case "dropout":
        return null;
      case "sentinel":
        return fault.value ?? defaultSentinel(this.quantity);
      case "spike": {
        this.spikeReportsLeft -= 1;
        if (this.spikeReportsLeft <= 0) this.clearFault();
        return clean + fault.offset;
      }
    }
  }
}

export function defaultSentinel(quantity: SensorQuantity): number {
  if (quantity === "temperature") return SentinelValue.disconnectedC;
  if (quantity === "fan") return SentinelValue.fanSaturatedRpm;
  return 0;
}
