import type { HostBirth, Telemetry } from "../protocol/index.js";
import { WindowAccumulator, type WindowManifest } from "./features-accumulator.js";
import { requiredSensorIds, temperatureSensorsById } from "./features-readings.js";
import type { HostFeatures } from "./types.js";

export { hostViewFrom, type HostReadingsView } from "./features-host-view.js";
export { CPU_UTIL_READING_ID, DISK_TOTAL_READING_ID, POWER_METER_ID_PREFIX, hostPowerW } from "./features-readings.js";

export const DEFAULT_FEATURE_WINDOW_MS = 10_000;

/** The part of a birth message feature extraction needs: the host and its sensor manifest (roles, limits). */
export type SensorManifest = Pick<HostBirth, "host" | "sensors">;

export interface FeatureWindowOptions {
  /** Window length in agent time; windows are aligned to multiples of it since the epoch. */
  windowMs?: number;
}

/**
 * Cuts one host's telemetry into aligned windows [k·windowMs, (k+1)·windowMs) of agent time and emits HostFeatures
 * per window. A window closes when the first message at or past its end arrives (or on flush()); windows without
 * messages are not emitted. A message older than the open window is dropped and counted: an emitted window is final.
 * Build a new FeatureWindow (after flush()) when a new birth brings a new manifest.
 */
export class FeatureWindow {
  private readonly windowMs: number;
  private readonly manifest: WindowManifest;
  private open: WindowAccumulator | undefined;
  /** Everything before this has been emitted. */
  private emittedUntilMs = Number.NEGATIVE_INFINITY;
  private late = 0;

  constructor(manifest: SensorManifest, options: FeatureWindowOptions = {}) {
    this.windowMs = options.windowMs ?? DEFAULT_FEATURE_WINDOW_MS;
    if (!Number.isInteger(this.windowMs) || this.windowMs <= 0) {
      throw new RangeError(`feature window for host ${manifest.host}: windowMs must be a positive integer; got ${this.windowMs}`);
    }
    this.manifest = {
      hostId: manifest.host,
      temperatureSensors: temperatureSensorsById(manifest.sensors),
      requiredIds: requiredSensorIds(manifest.sensors),
    };
  }

  /** Adds one message; returns the window it closed, if any. */
  push(telemetry: Telemetry): HostFeatures | undefined {
    if (telemetry.host !== this.manifest.hostId) {
      throw new RangeError(`feature window for host ${this.manifest.hostId} got telemetry of host ${telemetry.host}`);
    }
    const openStartMs = this.open?.startMs ?? this.emittedUntilMs;
    if (telemetry.ts < openStartMs) {
      this.late++;
      return undefined;
    }
    let closed: HostFeatures | undefined;
    if (this.open !== undefined && telemetry.ts >= this.open.endMs) closed = this.flush();
    if (this.open === undefined) {
      const startMs = Math.floor(telemetry.ts / this.windowMs) * this.windowMs;
      this.open = new WindowAccumulator(this.manifest, startMs, startMs + this.windowMs);
    }
    this.open.add(telemetry);
    return closed;
  }

  /** Closes and returns the open window (at shutdown, or when the host goes offline). */
  flush(): HostFeatures | undefined {
    const open = this.open;
    if (open === undefined) return undefined;
    this.open = undefined;
    this.emittedUntilMs = open.endMs;
    return open.features();
  }

  /** Messages dropped because they arrived after their window was emitted. */
  get lateMessages(): number {
    return this.late;
  }
}

/** All windows of a host's telemetry, in arrival order (the batch form of FeatureWindow, e.g. to recompute features). */
export function extractFeatures(manifest: SensorManifest, telemetry: Iterable<Telemetry>, options: FeatureWindowOptions = {}): HostFeatures[] {
  const window = new FeatureWindow(manifest, options);
  const out: HostFeatures[] = [];
  for (const message of telemetry) {
    const closed = window.push(message);
    if (closed) out.push(closed);
  }
  const last = window.flush();
  if (last) out.push(last);
  return out;
}
