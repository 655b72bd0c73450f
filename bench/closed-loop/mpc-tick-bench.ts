import { selectTfBackend } from "../../src/controller/model/backend.js";
import { liquidRegistryDir, ModelRegistry } from "../../src/controller/model/model-registry.js";
import { N_LOAD, N_STATE } from "../../src/controller/model/feature-spec.js";
import { LIQUID_LAYOUT } from "../../src/controller/model/model-layout.js";
import { ENERGY_OBJECTIVE } from "../../src/controller/planner/objective.js";
import { candidateGrid, MPC_LIQUID_FAN_STEP_PCT, MPC_PUMP_STEP_PCT, MpcPolicy, pairGrid } from "../../src/controller/planner/policy-mpc.js";
import type { HostView } from "../../src/controller/types.js";

/**
 * One MPC planning tick for a large fleet: `node dist/bench/closed-loop/mpc-tick-bench.js [hosts] [model dir]
 * [liquid share]`. Every host has a full minute of history and has passed its probation (so the models plan all of
 * them, none is on the fallback), then TIMED_TICKS ticks are timed (200: the p99 is the second-slowest, not the maximum). With a liquid share > 0 that fraction of the hosts is liquid-cooled (fan × pump grid on the
 * model in `<dir>/liquid`).
 */
const TIMED_TICKS = 200;

function liquidView(i: number, round: number): HostView {
  const air = view(i, round);
  return {
    ...air,
    capabilities: {
      fans: { channels: 6, tier: "full", minPct: 15, maxPct: 100, maxPowerW: 72 },
      pump: { channels: 1, tier: "full", minPct: 30, maxPct: 100, maxPowerW: 18 },
      maxLeaseMs: 30_000,
      cpuLeakage: { at85W: 52, doublingK: 19 },
    },
    temperatures: [...air.temperatures, { id: "coolant", role: "coolant", tempC: 36, quality: "ok", targetC: 45, criticalC: 55, required: false }],
    pumpPct: 50,
  };
}

function view(i: number, round: number): HostView {
  // Hosts differ; each holds still, so the model's live error stays small and it plans every one of them.
  const util = 50 + 45 * Math.sin(i * 0.7);
  return {
    hostId: `host-${i}`,
    online: true,
    boot: "boot-0001",
    lastSeenMs: round * 1000,
    state: "Running",
    // Every host announces its watts, as the agents do; every third one a smaller machine's (a mixed fleet).
    capabilities: { fans: { channels: 6, tier: "full", minPct: 20, maxPct: 100, maxPowerW: i % 3 === 0 ? 24 : 72 }, maxLeaseMs: 30_000, cpuLeakage: { at85W: i % 3 === 0 ? 24 : 52, doublingK: 19 } },
    periodMs: 1000,
    temperatures: [
      { id: "cpu0", role: "cpu", tempC: Math.round(55 + 0.3 * util + ((i * 7) % 5)), quality: "ok", targetC: 90, criticalC: 97, required: true },
      { id: "inlet", role: "inlet", tempC: 25, quality: "ok", targetC: 35, criticalC: 45, required: false },
      { id: "sda", role: "drive", tempC: 34, quality: "ok", targetC: 42, criticalC: 50, required: false },
    ],
    fanPct: 40,
    pumpPct: undefined,
    cpuUtilPct: util,
    diskMBps: 20,
    powerW: 400,
    mode: "remote",
  };
}

const percentile = (values: number[], p: number): number => [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.ceil((p / 100) * values.length) - 1)] ?? 0;

async function main(): Promise<void> {
  const hosts = Number(process.argv[2] ?? 1000);
  const dir = process.argv[3] ?? "bench-results/models";
  const liquidShare = Number(process.argv[4] ?? 0);
  const liquidHosts = Math.round(hosts * liquidShare);
  const backend = await selectTfBackend();
  const loaded = new ModelRegistry(dir, "air").current();
  if (!loaded) throw new Error(`no promoted model in ${dir}: run coolfleet model train --sim --out ${dir}`);
  const liquid = liquidHosts > 0 ? new ModelRegistry(liquidRegistryDir(dir), "liquid").current() : undefined;
  if (liquidHosts > 0 && !liquid) throw new Error(`no promoted liquid model in ${liquidRegistryDir(dir)}: run coolfleet model train --sim --cooling liquid --out ${dir}`);
  const policy = new MpcPolicy(loaded.model, { planPeriodMs: 1000, liquidModel: liquid?.model });
  const objectives = new Map<string, typeof ENERGY_OBJECTIVE>();
  const tickMs: number[] = [];
  // The process's CPU time per tick beside its wall time: a tick whose wall time far exceeds its CPU time waited for
  // the machine (another process, the hypervisor); one whose CPU time exceeds its wall time had other threads of this
  // process working beside it (V8's concurrent garbage collection).
  const tickCpuMs: number[] = [];
  // The warm-up minute, then the probation (11 periods until the first prediction is due, 40 scored), then the timed ones.
  const untimed = 61 + 11 + 40;
  for (let round = 0; round < untimed + TIMED_TICKS; round++) {
    const views = Array.from({ length: hosts }, (_, i) => (i < liquidHosts ? liquidView(i, round) : view(i, round)));
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    policy.plan({ nowMs: round * 1000, hosts: views, objectives });
    if (round >= untimed) {
      tickMs.push(performance.now() - t0);
      const cpu = process.cpuUsage(cpu0);
      tickCpuMs.push((cpu.user + cpu.system) / 1000);
    }
  }
  // The baseline, in the same process: the model calls alone for the same fleet (air hosts on the air model, liquid
  // hosts on the liquid one). The tick over it is what the planner adds: history, features, the choice, the fallback.
  const airHosts = hosts - liquidHosts;
  const candidates = candidateGrid(20, 100, 2.5);
  const airMs = airHosts > 0 ? timeCalls(() => loaded.model.predictGrid(new Float32Array(airHosts * N_STATE).fill(0.5), new Float32Array(airHosts * N_LOAD).fill(50), candidates)) : 0;
  const lines = [
    `backend ${backend}, model ${loaded.version} (hidden ${loaded.model.hidden}), ${hosts} hosts (${liquidHosts} liquid-cooled)`,
    `planner tick: p50 ${percentile(tickMs, 50).toFixed(1)} ms, p99 ${percentile(tickMs, 99).toFixed(1)} ms, max ${Math.max(...tickMs).toFixed(1)} ms (share of host-periods on the fallback over the whole run incl. warm-up and probation: ${policy.fallbackShare().toFixed(3)})`,
    `tick CPU time (all of this process's threads): p50 ${percentile(tickCpuMs, 50).toFixed(1)} ms, p99 ${percentile(tickCpuMs, 99).toFixed(1)} ms, max ${Math.max(...tickCpuMs).toFixed(1)} ms`,
    slowestTicks(tickMs, tickCpuMs),
  ];
  if (airHosts > 0) lines.push(`air model ${loaded.version} call alone: ${airHosts} hosts × ${candidates.length} candidates, p50 ${airMs.toFixed(1)} ms = ${((airMs / airHosts) * 1000).toFixed(1)} µs per host`);
  let liquidMs = 0;
  if (liquid) {
    const { candidates: fans, pumps } = pairGrid(candidateGrid(15, 100, MPC_LIQUID_FAN_STEP_PCT), candidateGrid(30, 100, MPC_PUMP_STEP_PCT));
    liquidMs = timeCalls(() => liquid.model.predictGrid(new Float32Array(liquidHosts * LIQUID_LAYOUT.state.length).fill(0.5), new Float32Array(liquidHosts * N_LOAD).fill(50), fans, pumps));
    lines.push(`liquid model ${liquid.version} call alone: ${liquidHosts} hosts × ${fans.length} fan × pump candidates, p50 ${liquidMs.toFixed(1)} ms = ${((liquidMs / liquidHosts) * 1000).toFixed(1)} µs per host`);
  }
  lines.push(`tick p50 / model calls alone: ${(percentile(tickMs, 50) / (airMs + liquidMs)).toFixed(2)}×`);
  process.stdout.write(lines.join("\n") + "\n");
}

/** The three slowest ticks by wall time, each with its CPU time. */
function slowestTicks(wallMs: readonly number[], cpuMs: readonly number[]): string {
  const slowest = wallMs
    .map((ms, i) => ({ i, ms, cpu: cpuMs[i] ?? Number.NaN }))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, 3);
  return `slowest ticks (wall / CPU): ${slowest.map((t) => `#${t.i} ${t.ms.toFixed(1)} / ${t.cpu.toFixed(1)} ms`).join(", ")}`;
}

/** p50 of 20 calls, ms. */
function timeCalls(call: () => unknown): number {
  const ms: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    call();
    ms.push(performance.now() - t0);
  }
  return percentile(ms, 50);
}

await main();
