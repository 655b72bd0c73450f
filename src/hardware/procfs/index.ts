export { CpuLoadSource, CPU_UTIL_ID } from "./cpu-load-source.js";
export { DiskThroughputSource, DISK_TOTAL_ID } from "./disk-throughput-source.js";
export { parseProcStatCpu, type CpuTicks } from "./proc-stat.js";
export { parseDiskstats, isWholeDisk, DISKSTATS_SECTOR_BYTES, type DiskCounters } from "./diskstats.js";
