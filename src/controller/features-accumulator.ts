import { CONTROL_MODES } from "../protocol/index.js";
import type { ControlMode, Telemetry } from "../protocol/index.js";
import {
  CPU_UTIL_READING_ID,
  DISK_TOTAL_READING_ID,
  hostPowerW,
  trustedReading,
  trustedValue,
  type TargetedSensor,
} from "./features-readings.js";
import { LeastSquaresSlope, RunningMax, RunningMean } from "./features-stats.js";
import type { HostFeatures } from "./types.js";

const MS_PER_MIN = 60_000;

/** What one window's accumulation needs from the host's birth manifest. */
export interface WindowManifest {
  hostId: string;
  temperatureSensors: ReadonlyMap<string, TargetedSensor>;
  requiredIds: readonly string[];
}

/** Folds the telemetry messages of one window [startMs, endMs) into a HostFeatures record. */
export class WindowAccumulator {
  private samples = 0;
  private readonly cpuMargin = new RunningMax();
  private readonly driveMargin = new RunningMax();
  private readonly cpuMax = new RunningMax();
  private readonly driveMax = new RunningMax();
  private readonly inlet = new RunningMean();
  private readonly cpuUtil = new RunningMean();
  private readonly cpuUtilTrend = new LeastSquaresSlope();
  private readonly disk = new RunningMean();
  private readonly fan = new RunningMean();
  private readonly pump = new RunningMean();
  private readonly power = new RunningMean();
  private badRequiredReadings = 0;
  private readonly modes = new Set<ControlMode>();

  constructor(
    private readonly manifest: WindowManifest,
    readonly startMs: number,
    readonly endMs: number,
  ) {}

  add(telemetry: Telemetry): void {
    this.samples++;
    this.modes.add(telemetry.mode);
    this.fan.add(telemetry.outputs.fanPct);
    if (telemetry.outputs.pumpPct !== undefined) this.pump.add(telemetry.outputs.pumpPct);
    this.addTemperatures(telemetry);
    this.addRequired(telemetry);

    const utilPct = trustedReading(telemetry, CPU_UTIL_READING_ID, "load");
    if (utilPct !== null) {
      this.cpuUtil.add(utilPct);
      // x in ms, exact relative to the first sample; scaled to minutes only at the end.
      this.cpuUtilTrend.add(telemetry.ts, utilPct);
    }
    const diskMBps = trustedReading(telemetry, DISK_TOTAL_READING_ID, "disk");
    if (diskMBps !== null) this.disk.add(diskMBps);
    const powerW = hostPowerW(telemetry.readings);
    if (powerW !== null) this.power.add(powerW);
  }

  features(): HostFeatures {
    return {
      hostId: this.manifest.hostId,
      windowStartMs: this.startMs,
      windowEndMs: this.endMs,
      samples: this.samples,
      cpuMarginC: this.cpuMargin.max,
      driveMarginC: this.driveMargin.max,
      cpuMaxC: this.cpuMax.max,
      driveMaxC: this.driveMax.max,
      inletC: this.inlet.mean,
      cpuUtilMeanPct: this.cpuUtil.mean,
      cpuUtilSlopePctPerMin: perMinute(this.cpuUtilTrend.slope),
      diskMBpsMean: this.disk.mean,
      // Every message carries outputs.fanPct, and a window is only emitted with at least one message.
      fanPctMean: this.fan.mean ?? 0,
      pumpPctMean: this.pump.mean,
      powerWMean: this.power.mean,
      badRequiredReadings: this.badRequiredReadings,
      modes: CONTROL_MODES.filter((mode) => this.modes.has(mode)),
    };
  }

  private addTemperatures(telemetry: Telemetry): void {
    for (const reading of telemetry.readings) {
      if (reading.kind !== "temperature") continue;
      const sensor = this.manifest.temperatureSensors.get(reading.id);
      const tempC = trustedValue(reading);
      if (sensor === undefined || tempC === null) continue;
      switch (sensor.role) {
        case "cpu":
          this.cpuMax.add(tempC);
          if (sensor.targetC !== undefined) this.cpuMargin.add(tempC - sensor.targetC);
          break;
        case "drive":
          this.driveMax.add(tempC);
          if (sensor.targetC !== undefined) this.driveMargin.add(tempC - sensor.targetC);
          break;
        case "inlet":
          this.inlet.add(tempC);
          break;
        default:
          break;
      }
    }
  }

  /** A required sensor absent from a message counts as bad, like one reported "missing". */
  private addRequired(telemetry: Telemetry): void {
    for (const id of this.manifest.requiredIds) {
      const reading = telemetry.readings.find((r) => r.id === id);
      if (trustedValue(reading) === null) this.badRequiredReadings++;
    }
  }
}

function perMinute(perMs: number | null): number | null {
  return perMs === null ? null : perMs * MS_PER_MIN;
}
