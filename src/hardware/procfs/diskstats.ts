/** Cumulative sector counters of one block device from /proc/diskstats. */
export interface DiskCounters {
  name: string;
  sectorsRead: number;
  sectorsWritten: number;
}

/** /proc/diskstats counts in 512-byte sectors whatever the device's block size. */
export const DISKSTATS_SECTOR_BYTES = 512;

/**
 * Parses "major minor name reads merged sectors_read ms writes merged sectors_written ..." lines. Kernels add
 * columns at the end (discard, flush), never in between, so only the first ten are used.
 */
export function parseDiskstats(text: string): DiskCounters[] {
  const disks: DiskCounters[] = [];
  for (const line of text.split("\n")) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10) continue;
    const sectorsRead = Number(f[5]);
    const sectorsWritten = Number(f[9]);
    if (!Number.isFinite(sectorsRead) || !Number.isFinite(sectorsWritten)) continue;
    disks.push({ name: f[2]!, sectorsRead, sectorsWritten });
  }
  return disks;
}

/** Devices stacked on or beside real disks; counting them would count the same bytes twice, or RAM. */
const VIRTUAL_DEVICE = /^(loop|ram|zram|dm-|md|nbd)\d/;
/** Partitions: sda1, vdb2, xvda1, hdc3; nvme0n1p1, mmcblk0p2. */
const PARTITION = /^(?:(?:sd|vd|xvd|hd)[a-z]+\d+|(?:nvme\d+n\d+|mmcblk\d+)p\d+)$/;

/**
 * Whole physical disks only, told by kernel naming so the 1 Hz path needs no extra sysfs reads:
 * partitions (sda1, nvme0n1p2, mmcblk0p1) and loop, ram, zram, device-mapper, md and nbd devices are skipped.
 */
export function isWholeDisk(name: string): boolean {
  return !VIRTUAL_DEVICE.test(name) && !PARTITION.test(name);
}
