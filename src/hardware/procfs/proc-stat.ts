/** Cumulative CPU time from the aggregate "cpu" line of /proc/stat, in USER_HZ ticks. */
export interface CpuTicks {
  busy: number;
  total: number;
}

/**
 * Parses "cpu  user nice system idle iowait irq softirq steal guest guest_nice". iowait counts as idle (the
 * CPU was free to run something else). guest and guest_nice are left out because the kernel already counts
 * them inside user and nice. Older kernels print fewer columns; missing ones count as 0.
 */
export function parseProcStatCpu(text: string): CpuTicks | undefined {
  const line = text.split("\n").find((l) => l.startsWith("cpu "));
  if (!line) return undefined;
  const texts = line.trim().split(/\s+/).slice(1, 9);
  // The kernel writes plain decimal counters; anything else (1e5, 0x1f, -5) is not /proc/stat.
  if (texts.length < 4 || texts.some((t) => !/^\d{1,20}$/.test(t))) return undefined;
  const fields = texts.map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  if (!Number.isFinite(total)) return undefined;
  return { busy: total - idle - iowait, total };
}
