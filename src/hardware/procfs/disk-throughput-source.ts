import { readFileSync } from "node:fs";
import path from "node:path";
import type { RawReading, SensorSource } from "../binding.js";
import type { SensorDescriptor } from "../hwmon/sensors.js";
import { DISKSTATS_SECTOR_BYTES, isWholeDisk, parseDiskstats, type DiskCounters } from "./diskstats.js";

export const DISK_TOTAL_ID = "disk:total";
const BYTES_PER_MB = 1_000_000;

interface Baseline {
  sectors: DiskCounters;
  atMs: number;
}

/**
 * Read plus write throughput per whole disk ("disk:sda", MB/s with MB = 10^6 bytes) and summed ("disk:total"),
 * from the change in /proc/diskstats between sweeps, over the time between their nowMs.
 * A disk's first sweep, and a sweep where its counters went backwards (wrap, device re-added, simulator
 * restart), report null and start a new baseline: one missing sample is better than an invented spike.
 * disk:total is null whenever a disk present this sweep has no value, so it never silently under-reports.
 * A disk seen once stays in the readings (null, "not in /proc/diskstats") if it disappears.
 */
export class DiskThroughputSource implements SensorSource {
  readonly name = "procfs:disk";
  private readonly file: string;
  private readonly baselines = new Map<string, Baseline>();
  /** Every whole disk seen since start, in first-seen order. */
  private readonly known = new Set<string>();

  constructor(root: string) {
    this.file = path.join(root, "proc/diskstats");
    for (const disk of this.read().disks ?? []) this.known.add(disk.name);
  }

  manifest(): SensorDescriptor[] {
    return [...this.known, "total"].map((name) => ({ id: `disk:${name}`, kind: "disk", unit: "MBps" }));
  }

  sweep(nowMs: number): RawReading[] {
    const { disks, error } = this.read();
    const reading = (id: string, value: number | null, why?: string): RawReading => {
      const r: RawReading = { id, kind: "disk", unit: "MBps", value, sampledAtMs: nowMs };
      if (why !== undefined) r.error = why;
      return r;
    };
    if (!disks) return [...this.known, "total"].map((name) => reading(`disk:${name}`, null, error));

    const present = new Map(disks.map((d) => [d.name, d]));
    const readings: RawReading[] = [];
    let totalMBps = 0;
    let totalGap: string | undefined;
    for (const d of disks) this.known.add(d.name);
    for (const name of this.known) {
      const now = present.get(name);
      if (!now) {
        this.baselines.delete(name);
        readings.push(reading(`disk:${name}`, null, `${name} not in ${this.file}`));
        continue;
      }
      const { mbps, why } = this.rate(now, nowMs);
      readings.push(reading(`disk:${name}`, mbps, why));
      if (mbps === null) totalGap ??= `${name}: ${why}`;
      else totalMBps += mbps;
    }
    readings.push(reading(DISK_TOTAL_ID, totalGap === undefined ? totalMBps : null, totalGap));
    return readings;
  }

  private rate(now: DiskCounters, nowMs: number): { mbps: number | null; why?: string } {
    const before = this.baselines.get(now.name);
    if (before && nowMs <= before.atMs) return { mbps: null, why: "no time elapsed since the last sweep" };
    this.baselines.set(now.name, { sectors: now, atMs: nowMs });
    if (!before) return { mbps: null, why: "warming up: first sample" };
    const readSectors = now.sectorsRead - before.sectors.sectorsRead;
    const writtenSectors = now.sectorsWritten - before.sectors.sectorsWritten;
    if (readSectors < 0 || writtenSectors < 0) return { mbps: null, why: "counters went backwards; new baseline" };
    const seconds = (nowMs - before.atMs) / 1000;
    return { mbps: ((readSectors + writtenSectors) * DISKSTATS_SECTOR_BYTES) / BYTES_PER_MB / seconds };
  }

  private read(): { disks?: DiskCounters[]; error?: string } {
    try {
      return { disks: parseDiskstats(readFileSync(this.file, "latin1")).filter((d) => isWholeDisk(d.name)) };
    } catch (err) {
      return { error: `cannot read ${this.file}: ${err instanceof Error ? err.message : String(err)}` };
    }
  }
}
