/**
 * A simulated iDRAC in a process of its own, for benchmarks that must not count the BMC's CPU as their own.
 * Prints `port <n>` once it listens; steps its physics once a second; answers each line `datagrams` on stdin with
 * `datagrams <n>` (received so far); exits when its parent closes stdin.
 * Usage: node dist/bench/bmc-process.js <password>
 */
import { loadProfile, SimHost, SimulatedBmc } from "../firmware-sim/index.js";
import { SystemClock } from "../src/core/clock.js";

const password = process.argv[2] ?? "calvin";
const bmc = new SimulatedBmc({ host: new SimHost({ hostId: "bench-bmc", profile: loadProfile("poweredge-r740-air"), seed: 3 }), clock: new SystemClock(), password });
const load = { cpuUtil: 0.5, diskMBps: 5, inletC: 25 };
for (let i = 0; i < 60; i++) bmc.step(1, load);
const { port } = await bmc.start();
const stepper = setInterval(() => bmc.step(1, load), 1000);
process.stdout.write(`port ${port}\n`);
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk: string) => {
  for (const line of chunk.split("\n")) if (line.trim() === "datagrams") process.stdout.write(`datagrams ${bmc.datagrams().received}\n`);
});
process.stdin.on("end", () => {
  clearInterval(stepper);
  void bmc.stop().then(() => process.exit(0));
});
