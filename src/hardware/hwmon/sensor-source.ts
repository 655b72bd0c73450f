import type { Logger } from "../../core/logger.js";
import type { RawReading, SensorSource } from "../binding.js";
import { HwmonDiscovery } from "./discovery.js";
import { sensorsOf, type HwmonSensor, type SensorDescriptor } from "./sensors.js";
import { readSysfsInteger } from "./sysfs-io.js";

export interface HwmonSensorSourceOptions {
  /** Filesystem root: "/" in production. */
  root: string;
  /** Check for new or moved chips every this many sweeps, to pick up drivers that load late. */
  rediscoverEverySweeps?: number;
  /**
   * A vanished file (ENOENT) brings the check forward, but not more often than this, so a dead sensor
   * does not cost a check every sweep.
   */
  minSweepsBetweenRediscovery?: number;
  logger?: Logger;
}

/**
 * Every hwmon temperature, fan, pwm, power, flow and pump input under the root, read once per sweep.
 * Sensors are kept in a manifest from the first discovery on: one that vanishes keeps being reported, as
 * null with the error, rather than silently dropping out of telemetry. Rediscovery adds new sensors and
 * follows chips whose hwmon number changed (driver reload) without renaming them.
 */
export class HwmonSensorSource implements SensorSource {
  readonly name = "hwmon";
  private readonly discovery: HwmonDiscovery;
  private readonly sensors = new Map<string, HwmonSensor>();
  private readonly rediscoverEverySweeps: number;
  private readonly minSweepsBetweenRediscovery: number;
  private readonly logger: Logger | undefined;
  private sweepsSinceDiscovery = 0;
  private sawVanishedFile = false;
  private discoveredOnce = false;

  constructor(options: HwmonSensorSourceOptions) {
    this.discovery = new HwmonDiscovery(options.root);
    this.rediscoverEverySweeps = options.rediscoverEverySweeps ?? 60;
    this.minSweepsBetweenRediscovery = options.minSweepsBetweenRediscovery ?? 5;
    this.logger = options.logger;
    this.rediscover();
  }

  /** Every sensor seen since start, for the birth message. */
  manifest(): SensorDescriptor[] {
    return [...this.sensors.values()].map(({ id, kind, unit }) => ({ id, kind, unit }));
  }

  sweep(nowMs: number): RawReading[] {
    this.sweepsSinceDiscovery++;
    if (this.rediscoveryDue()) {
      // The full discovery (~1 ms on a server) only runs when the cheap check sees the chip set change.
      if (this.discovery.changedSinceDiscover()) this.rediscover();
      else this.markDiscovered();
    }
    const readings: RawReading[] = [];
    for (const sensor of this.sensors.values()) {
      const read = readSysfsInteger(sensor.file);
      const reading: RawReading = { id: sensor.id, kind: sensor.kind, unit: sensor.unit, value: null, sampledAtMs: nowMs };
      if (read.ok) reading.value = sensor.fromRaw(read.value);
      else {
        reading.error = read.error;
        if (read.code === "ENOENT" || read.code === "ENODEV") this.sawVanishedFile = true;
      }
      readings.push(reading);
    }
    return readings;
  }

  private rediscoveryDue(): boolean {
    if (this.sweepsSinceDiscovery >= this.rediscoverEverySweeps) return true;
    return this.sawVanishedFile && this.sweepsSinceDiscovery >= this.minSweepsBetweenRediscovery;
  }

  private markDiscovered(): void {
    this.sweepsSinceDiscovery = 0;
    this.sawVanishedFile = false;
  }

  private rediscover(): void {
    this.markDiscovered();
    const firstDiscovery = !this.discoveredOnce;
    this.discoveredOnce = true;
    const chips = this.discovery.discover();
    for (const problem of this.discovery.problems) this.logger?.debug({ problem }, "hwmon entry skipped");
    for (const chip of chips) {
      for (const sensor of sensorsOf(chip)) {
        const known = this.sensors.get(sensor.id);
        // Sensors appearing after start are news (a late driver, a hot-plugged drive); the initial set is not.
        if (!known && firstDiscovery) this.logger?.debug({ id: sensor.id, file: sensor.file }, "hwmon sensor found");
        else if (!known) this.logger?.info({ id: sensor.id, file: sensor.file }, "hwmon sensor appeared");
        // Replacing keeps the manifest order (Map keeps first insertion) but follows a moved hwmon dir.
        this.sensors.set(sensor.id, sensor);
      }
    }
  }
}
