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
  const fields = line.trim().split(/\s+/).slice(1, 9).map(Number);
  if (fields.length < 4 || fields.some((f) => !Number.isFinite(f) || f < 0)) return undefined;
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = fields;
  const total = user + nice + system + idle + iowait + irq + softirq + steal;
  return { busy: total - idle - iowait, total };
}
