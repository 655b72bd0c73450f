import { performance } from "node:perf_hooks";
import { silentLogger, type Logger } from "../core/logger.js";
import type { RawReading, SensorSource } from "../hardware/binding.js";
import type { ReadingKind, ReadingUnit } from "../protocol/index.js";

export interface SweepResult {
  readings: RawReading[];
  /** Wall time the sweep took (performance.now): a measurement for telemetry and the benchmark, not control time. */
  durationMs: number;
}

interface SensorShape {
  id: string;
  kind: ReadingKind;
  unit: ReadingUnit;
}

/** Sources that can list their sensors before the first sweep (hwmon, procfs). */
interface DescribedSource extends SensorSource {
  manifest(): SensorShape[];
}

/**
 * Reads every sensor source once per control period. A source that throws does not take the others down:
 * its sensors come back as missing (null, with the error) under the ids it last delivered — or announced in
 * its manifest — so the governor sees them go bad instead of seeing them vanish. The failure is logged once
 * per outage, not once per period.
 */
export class SensorSweep {
  private readonly lastShapes = new Map<SensorSource, SensorShape[]>();
  private readonly failing = new Set<SensorSource>();

  constructor(
    private readonly sources: readonly SensorSource[],
    private readonly logger: Logger = silentLogger(),
  ) {}

  run(nowMs: number): SweepResult {
    const startMs = performance.now();
    const readings: RawReading[] = [];
    for (const source of this.sources) readings.push(...this.runSource(source, nowMs));
    return { readings, durationMs: performance.now() - startMs };
  }

  private runSource(source: SensorSource, nowMs: number): RawReading[] {
    try {
      const readings = source.sweep(nowMs);
      // Kept by reference (no copy per period); only id, kind and unit are used later.
      this.lastShapes.set(source, readings);
      if (this.failing.delete(source)) this.logger.info({ source: source.name }, "sensor source recovered");
      return readings;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      if (!this.failing.has(source)) {
        this.failing.add(source);
        this.logger.warn({ source: source.name, err }, "sensor source failed; its sensors are reported missing");
      }
      const error = `${source.name} failed: ${message}`;
      return this.shapesOf(source).map((s) => ({ ...s, value: null, sampledAtMs: nowMs, error }));
    }
  }

  private shapesOf(source: SensorSource): SensorShape[] {
    const last = this.lastShapes.get(source);
    if (last) return last.map(({ id, kind, unit }) => ({ id, kind, unit }));
    if (isDescribed(source)) {
      try {
        return source.manifest().map(({ id, kind, unit }) => ({ id, kind, unit }));
      } catch {
        return [];
      }
    }
    return [];
  }
}

function isDescribed(source: SensorSource): source is DescribedSource {
  return typeof (source as Partial<DescribedSource>).manifest === "function";
}
