import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { SysfsFiles } from "./sysfs-files.js";

/** The kernel's USER_HZ: /proc/stat counts jiffies of 10 ms. */
export const USER_HZ = 100;
/** /proc/diskstats counts 512-byte sectors whatever the drive's real sector size. */
export const SECTOR_BYTES = 512;
/** Throughput unit of the workloads: MB/s with MB = 10^6 bytes. */
export const BYTES_PER_MB = 1_000_000;

export interface ProcfsOptions {
  hostRoot: string;
  cpuCount: number;
  /** Kernel block device names, one line each in /proc/diskstats. */
  drives: readonly string[];
  files: SysfsFiles;
  /** btime: boot time in seconds since the epoch. */
  bootTimeS: number;
  /** Share of the disk throughput that is reads (the rest writes). */
  readFraction?: number;
}

// Shares of busy CPU time; what is left of the tick is idle, part of it iowait while the disks are busy.
const USER_SHARE = 0.8;
const SYSTEM_SHARE = 0.15;
const IRQ_SHARE = 0.01;
const SOFTIRQ_SHARE = 0.04;
const AVG_REQUEST_BYTES = 128 * 1024;
const SERVICE_MS_PER_IO = 0.5;

// Column order of a /proc/stat cpu line.
const Cpu = { User: 0, Nice: 1, System: 2, Idle: 3, Iowait: 4, Irq: 5, Softirq: 6, Steal: 7, Guest: 8, GuestNice: 9, Count: 10 } as const;

interface DiskCounters {
  name: string;
  major: number;
  minor: number;
  reads: number;
  readsMerged: number;
  sectorsRead: number;
  msReading: number;
  writes: number;
  writesMerged: number;
  sectorsWritten: number;
  msWriting: number;
  inFlight: number;
  msIo: number;
  weightedMs: number;
  flushes: number;
  msFlushing: number;
}

/**
 * /proc/stat and /proc/diskstats of a simulated host. Counters are kept as floats and shown truncated, so they
 * only ever grow and their deltas over any interval give back the utilisation and throughput that were fed in.
 */
export class ProcfsWriter {
  private readonly statPath: string;
  private readonly diskstatsPath: string;
  // Every logical CPU runs at the same utilisation, so one set of per-CPU counters serves them all.
  private readonly perCpu = new Float64Array(Cpu.Count);
  private ctxt = 0;
  private intr = 0;
  private processes = 1;
  private procsRunning = 1;
  private procsBlocked = 0;
  private readonly disks: DiskCounters[];
  private readonly readFraction: number;

  constructor(private readonly opts: ProcfsOptions) {
    mkdirSync(join(opts.hostRoot, "proc"), { recursive: true });
    this.statPath = join(opts.hostRoot, "proc/stat");
    this.diskstatsPath = join(opts.hostRoot, "proc/diskstats");
    this.readFraction = Math.min(1, Math.max(0, opts.readFraction ?? 0.6));
    this.disks = assignDeviceNumbers(opts.drives);
    this.write();
  }

  /** Accounts dtS of CPU time at cpuUtil (0..1) and dtS of disk traffic at diskMBps (whole host), then writes both files. */
  update(dtS: number, cpuUtil: number, diskMBps: number): void {
    this.accountCpu(dtS, Math.min(1, Math.max(0, cpuUtil)), Math.max(0, diskMBps));
    this.accountDisks(dtS, Math.max(0, diskMBps));
    this.write();
  }

  private accountCpu(dtS: number, util: number, diskMBps: number): void {
    const ticks = dtS * USER_HZ;
    const busy = ticks * util;
    const idleTicks = ticks - busy;
    const iowaitShare = Math.min(0.2, diskMBps / 2000);
    const c = this.perCpu;
    c[Cpu.User] = (c[Cpu.User] ?? 0) + busy * USER_SHARE;
    c[Cpu.System] = (c[Cpu.System] ?? 0) + busy * SYSTEM_SHARE;
    c[Cpu.Irq] = (c[Cpu.Irq] ?? 0) + busy * IRQ_SHARE;
    c[Cpu.Softirq] = (c[Cpu.Softirq] ?? 0) + busy * SOFTIRQ_SHARE;
    c[Cpu.Iowait] = (c[Cpu.Iowait] ?? 0) + idleTicks * iowaitShare;
    c[Cpu.Idle] = (c[Cpu.Idle] ?? 0) + idleTicks * (1 - iowaitShare);
    const cpus = this.opts.cpuCount;
    this.ctxt += dtS * cpus * (300 + 4000 * util);
    this.intr += dtS * cpus * (200 + 1500 * util);
    this.processes += dtS * (2 + 20 * util);
    this.procsRunning = Math.max(1, Math.round(util * cpus));
    this.procsBlocked = diskMBps > 0 ? Math.ceil(iowaitShare * 10) : 0;
  }

  private accountDisks(dtS: number, diskMBps: number): void {
    if (this.disks.length === 0) return;
    const bytes = (diskMBps * BYTES_PER_MB * dtS) / this.disks.length;
    const readBytes = bytes * this.readFraction;
    const writeBytes = bytes - readBytes;
    for (const d of this.disks) {
      const readIos = readBytes / AVG_REQUEST_BYTES;
      const writeIos = writeBytes / AVG_REQUEST_BYTES;
      d.reads += readIos;
      d.readsMerged += readIos * 0.1;
      d.sectorsRead += readBytes / SECTOR_BYTES;
      d.msReading += readIos * SERVICE_MS_PER_IO;
      d.writes += writeIos;
      d.writesMerged += writeIos * 0.3;
      d.sectorsWritten += writeBytes / SECTOR_BYTES;
      d.msWriting += writeIos * SERVICE_MS_PER_IO;
      d.msIo += Math.min(dtS * 1000, (readIos + writeIos) * SERVICE_MS_PER_IO);
      d.weightedMs += (readIos + writeIos) * SERVICE_MS_PER_IO;
      d.flushes += writeIos / 50;
      d.msFlushing += (writeIos / 50) * SERVICE_MS_PER_IO;
      d.inFlight = readIos + writeIos > 0 ? 1 : 0;
    }
  }

  private write(): void {
    this.opts.files.publish(this.statPath, this.renderStat());
    this.opts.files.publish(this.diskstatsPath, this.renderDiskstats());
  }

  private renderStat(): string {
    const cpus = this.opts.cpuCount;
    const per = Array.from(this.perCpu, (v) => Math.floor(v));
    const perLine = per.join(" ");
    const lines = [`cpu  ${per.map((v) => v * cpus).join(" ")}`];
    for (let i = 0; i < cpus; i++) lines.push(`cpu${i} ${perLine}`);
    lines.push(
      `intr ${Math.floor(this.intr)}`,
      `ctxt ${Math.floor(this.ctxt)}`,
      `btime ${Math.floor(this.opts.bootTimeS)}`,
      `processes ${Math.floor(this.processes)}`,
      `procs_running ${this.procsRunning}`,
      `procs_blocked ${this.procsBlocked}`,
    );
    return lines.join("\n") + "\n";
  }

  private renderDiskstats(): string {
    let out = "";
    for (const d of this.disks) {
      // Kernel format: "%4d %7d %s" then 17 counters (reads … ms_io, weighted, discards ×4, flushes ×2).
      const counters = [
        d.reads, d.readsMerged, d.sectorsRead, d.msReading,
        d.writes, d.writesMerged, d.sectorsWritten, d.msWriting,
        d.inFlight, d.msIo, d.weightedMs,
        0, 0, 0, 0,
        d.flushes, d.msFlushing,
      ].map((v) => Math.floor(v));
      out += `${String(d.major).padStart(4)} ${String(d.minor).padStart(7)} ${d.name} ${counters.join(" ")}\n`;
    }
    return out;
  }
}

/** Device numbers as the kernel hands them out: sd* major 8 (16 minors each), nvme* major 259, others 253. */
function assignDeviceNumbers(names: readonly string[]): DiskCounters[] {
  let nvmeMinor = 0;
  let otherMinor = 0;
  return names.map((name) => {
    const sd = /^sd([a-z]+)$/.exec(name);
    let major = 253;
    let minor: number;
    if (sd?.[1]) {
      major = 8;
      minor = sdIndex(sd[1]) * 16;
    } else if (name.startsWith("nvme")) {
      major = 259;
      minor = nvmeMinor++;
    } else {
      minor = otherMinor++;
    }
    return {
      name, major, minor,
      reads: 0, readsMerged: 0, sectorsRead: 0, msReading: 0,
      writes: 0, writesMerged: 0, sectorsWritten: 0, msWriting: 0,
      inFlight: 0, msIo: 0, weightedMs: 0, flushes: 0, msFlushing: 0,
    };
  });
}

/** sda → 0, sdz → 25, sdaa → 26. */
function sdIndex(letters: string): number {
  let index = 0;
  for (const ch of letters) index = index * 26 + (ch.charCodeAt(0) - 96);
  return index - 1;
}
