import { readdirSync, readFileSync } from "node:fs";

/** Live ipmitool processes talking to a BMC on this port, read from /proc (so nothing the code under test says). */
export function ipmitoolProcessesFor(port: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
    } catch {
      continue; // exited meanwhile
    }
    if (argv[0]?.endsWith("ipmitool") && argv.includes("-p") && argv[argv.indexOf("-p") + 1] === String(port)) pids.push(Number(entry));
  }
  return pids;
}
