import type { CapabilityTier, ReadingKind, ReadingUnit } from "../protocol/index.js";

/** One value as a sensor source delivered it, before plausibility checks. */
export interface RawReading {
  /** Stable across reboots, e.g. "coretemp.0:Package id 0" or "nct6798:fan1". */
  id: string;
  kind: ReadingKind;
  unit: ReadingUnit;
  /** null when the source could not deliver a value (file gone, read error, "ns"). */
  value: number | null;
  /** When the value was sampled (clock ms); slow sources may deliver old samples. */
  sampledAtMs: number;
  /** Why value is null, for logs. */
  error?: string;
}

/** Something that can be read once per control period: hwmon, procfs, later IPMI, Modbus, SMC. */
export interface SensorSource {
  readonly name: string;
  sweep(nowMs: number): RawReading[];
  /** For sources with a slow loop of their own (IPMI): how long its recent rounds took, for stats logs. */
  slowLoopStats?(): SlowLoopStats | undefined;
}

/** A group of fan or pump channels driven together. Async because IPMI and Modbus writes are. */
export interface CoolingActuator {
  readonly name: string;
  readonly channels: number;
  /** What the hardware lets the agent do (IPMI probes it; absent = "full"). */
  readonly tier?: CapabilityTier;
  /** Switches the hardware from firmware automatic to manual control, remembering what it found. */
  takeControl(): Promise<void>;
  /** Drives every channel of the group to pct (0..100). */
  setPct(pct: number): Promise<void>;
  /** Puts back the mode (and value) found by takeControl. Safe to call more than once. */
  restore(): Promise<void>;
}

export interface SlowLoopStats {
  rounds: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}
