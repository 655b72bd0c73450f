import { readdirSync, readFileSync } from "node:fs";

/** CPU time and resident memory of another process, read from /proc (Linux). */
export interface ProcSample {
  cpuS: number;
  rssMiB: number;
}

const CLOCK_TICKS_PER_S = 100;

export function sampleProcess(pid: number): ProcSample {
  const fields = statFields(pid);
  if (!fields) throw new Error(`process ${pid} is gone`);
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return { cpuS: (utime + stime) / CLOCK_TICKS_PER_S, rssMiB: rssKiB / 1024 };
}

/** The fields of /proc/<pid>/stat after the command name (which is in parentheses and may contain spaces). */
function statFields(pid: number | string): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return undefined; // exited meanwhile
  }
}

/**
 * CPU seconds spent by a process's descendants: the children it has reaped (cutime + cstime, which hold their own
 * reaped children), plus every descendant still alive (its own time and its reaped children's). A window's
 * difference of two samples is what the process tree used besides the process itself in that window.
 */
export function descendantsCpuS(pid: number): number {
  const parentOf = new Map<number, number>();
  const cpuTicks = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const fields = statFields(entry);
    if (!fields) continue;
    parentOf.set(Number(entry), Number(fields[1]));
    cpuTicks.set(Number(entry), Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]));
  }
  const isDescendant = (p: number): boolean => {
    for (let up = parentOf.get(p); up !== undefined && up > 1; up = parentOf.get(up)) if (up === pid) return true;
    return false;
  };
  const own = statFields(pid);
  let ticks = own ? Number(own[13]) + Number(own[14]) : 0;
  for (const [p, t] of cpuTicks) if (isDescendant(p)) ticks += t;
  return ticks / CLOCK_TICKS_PER_S;
}

/**
 * Samples a process once a second over a window; returns CPU % of one core (its own, and its child processes'),
 * and RSS statistics.
 */
export async function measureProcess(pid: number, seconds: number): Promise<{ cpuPct: number; childrenCpuPct: number; rssMeanMiB: number; rssMaxMiB: number }> {
  const first = sampleProcess(pid);
  const firstChildrenS = descendantsCpuS(pid);
  const startedMs = performance.now();
  const rss: number[] = [first.rssMiB];
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    rss.push(sampleProcess(pid).rssMiB);
  }
  const last = sampleProcess(pid);
  const lastChildrenS = descendantsCpuS(pid);
  const wallS = (performance.now() - startedMs) / 1000;
  return {
    cpuPct: ((last.cpuS - first.cpuS) / wallS) * 100,
    childrenCpuPct: ((lastChildrenS - firstChildrenS) / wallS) * 100,
    rssMeanMiB: rss.reduce((a, b) => a + b, 0) / rss.length,
    rssMaxMiB: Math.max(...rss),
  };
}
