import { readFileSync } from "node:fs";

/** CPU time and resident memory of another process, read from /proc (Linux). */
export interface ProcSample {
  cpuS: number;
  rssMiB: number;
}

const CLOCK_TICKS_PER_S = 100;

export function sampleProcess(pid: number): ProcSample {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name, which is in parentheses and may contain spaces.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const rssKiB = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return { cpuS: (utime + stime) / CLOCK_TICKS_PER_S, rssMiB: rssKiB / 1024 };
}

/** Samples a process once a second over a window; returns CPU % of one core and RSS statistics. */
export async function measureProcess(pid: number, seconds: number): Promise<{ cpuPct: number; rssMeanMiB: number; rssMaxMiB: number }> {
  const first = sampleProcess(pid);
  const startedMs = performance.now();
  const rss: number[] = [first.rssMiB];
  for (let i = 0; i < seconds; i++) {
    await new Promise((r) => setTimeout(r, 1000));
    rss.push(sampleProcess(pid).rssMiB);
  }
  const last = sampleProcess(pid);
  const wallS = (performance.now() - startedMs) / 1000;
  return {
    cpuPct: ((last.cpuS - first.cpuS) / wallS) * 100,
    rssMeanMiB: rss.reduce((a, b) => a + b, 0) / rss.length,
    rssMaxMiB: Math.max(...rss),
  };
}
