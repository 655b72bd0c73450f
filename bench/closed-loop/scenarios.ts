import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, extname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { createRng } from "../../firmware-sim/rng.js";
import { createWorkload, loadTraceCsv, parseTraceCsv, type Workload, type WorkloadId } from "../../firmware-sim/workloads/index.js";
import { LoadNoise } from "../../firmware-sim/workloads/load-noise.js";
import { generateTraceRows, traceCsv, type TraceStyle } from "./trace-generator.js";

/** Every workload the benchmark knows (reference W1–W10). */
export const BENCH_WORKLOADS = ["W1", "W2", "W3", "W4", "W5", "W6", "W7", "W8", "W9", "W10"] as const;
export type BenchWorkloadId = (typeof BENCH_WORKLOADS)[number];

/** B2's gains, B3's table, B0's level and the MPC model are fit on these only. */
export const TRAINING_WORKLOADS: readonly BenchWorkloadId[] = ["W1", "W3", "W4", "W7"];
/** Reported as the result; never used for tuning. */
export const HELD_OUT_WORKLOADS: readonly BenchWorkloadId[] = ["W2", "W5", "W6", "W8", "W9", "W10"];

/** A fault switched on (and, with untilS, off again) during a run. */
export type ScheduledFault =
  | { kind: "fan-dead"; atS: number; fan: number }
  | { kind: "pump-degraded"; atS: number; fraction: number }
  | { kind: "sensor-dropout"; atS: number; untilS: number; sensor: "cpu0" };

export interface HostScenario {
  workload: Workload;
  faults: readonly ScheduledFault[];
}

/** One benchmark workload: the same for every policy; each host gets its own seeded variant. */
export interface BenchScenario {
  name: string;
  durationS: number;
  forHost(hostIndex: number, runSeed: number): HostScenario;
}

const DEFAULT_DURATION_S: Record<BenchWorkloadId, number> = {
  W1: 3600,
  W2: 900,
  W3: 1800,
  W4: 2640,
  W5: 3600,
  W6: 3600,
  W7: 3600,
  W8: 3600,
  W9: 1800,
  W10: 5400,
};

const TRACE_FILES: Record<"W5" | "W6", { file: string; style: TraceStyle; seed: number }> = {
  W5: { file: "W5-alibaba2018-style.csv", style: "alibaba2018", seed: 5 },
  W6: { file: "W6-google2019-style.csv", style: "google2019", seed: 6 },
};
/** The shipped traces are this long; each host replays a window of it from its own offset. */
export const SHIPPED_TRACE_S = 4 * 3600;

/** A per-host integer seed from the run seed: the same host index gets the same seed under every policy. */
export function hostSeed(runSeed: number, hostIndex: number, label: string): number {
  return Math.floor(createRng(runSeed).fork(`host${hostIndex}`).fork(label).next() * 2 ** 31);
}

/** The shipped trace directory, from the TypeScript sources or from dist/ (CSVs are not copied by tsc). */
export function shippedTraceDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [join(here, "traces"), join(here, "..", "..", "..", "bench", "closed-loop", "traces")];
  return candidates.find((dir) => existsSync(dir)) ?? candidates[0] ?? here;
}

function shippedTrace(id: "W5" | "W6"): Workload {
  const spec = TRACE_FILES[id];
  const path = join(shippedTraceDir(), spec.file);
  // The CSV is the reference; regenerating it from its seed gives the same rows if it was not shipped.
  const text = existsSync(path) ? readFileSync(path, "utf8") : traceCsv(generateTraceRows(spec.style, spec.seed, SHIPPED_TRACE_S), spec.file);
  return parseTraceCsv(text, id);
}

/** A window of a longer workload, starting at offsetS. */
function windowOf(workload: Workload, offsetS: number, durationS: number, name: string): Workload {
  return { name, durationS, at: (t) => workload.at(t + offsetS) };
}

function syntheticScenario(id: WorkloadId, durationS: number, inletC?: number): BenchScenario {
  // W7's day is compressed into the run; the others play at their own pace, cut (or held) at the duration.
  const room = inletC !== undefined ? { inletC } : {};
  const options = (seed: number) => (id === "W7" ? { seed, timeCompression: 86_400 / durationS, ...room } : { seed, durationS, ...room });
  return { name: id, durationS, forHost: (i, runSeed) => ({ workload: createWorkload(id, options(hostSeed(runSeed, i, "workload"))), faults: [] }) };
}

function traceWindowScenario(id: "W5" | "W6", durationS: number): BenchScenario {
  const trace = shippedTrace(id);
  const spanS = Math.max(0, trace.durationS - durationS);
  return {
    name: id,
    durationS,
    forHost: (i, runSeed) => {
      // Different hosts are different machines: each replays the trace from its own seeded offset.
      const offsetS = Math.floor(createRng(hostSeed(runSeed, i, "trace-offset")).next() * spanS);
      return { workload: windowOf(trace, offsetS, durationS, id), faults: [] };
    },
  };
}

/** W8: inlet ramp 22 → 32 °C at ASHRAE's 20 °C/h, then a cooling unit fails for a while (+3 °C), over a swinging load. */
function inletScenario(durationS: number): BenchScenario {
  return {
    name: "W8",
    durationS,
    forHost: (i, runSeed) => {
      const rng = createRng(hostSeed(runSeed, i, "workload"));
      const noise = new LoadNoise(rng.fork("noise"), durationS, 0.03, 10);
      const periodS = 600 + 600 * rng.next();
      const phase = 2 * Math.PI * rng.next();
      const stepStartS = 0.6 * durationS;
      const stepEndS = 0.8 * durationS;
      const workload: Workload = {
        name: "W8",
        durationS,
        at: (t) => {
          const rampC = Math.min(10, (t * 20) / 3600);
          const unitStepC = t >= stepStartS && t < stepEndS ? 3 : 0;
          const util = 0.55 + 0.35 * Math.sin((2 * Math.PI * t) / periodS + phase) + noise.at(t);
          return { cpuUtil: Math.min(1, Math.max(0, util)), diskMBps: 10, inletC: 22 + rampC + unitStepC };
        },
      };
      return { workload, faults: [] };
    },
  };
}

/** W9: a fan dies, the pump loses half its flow (liquid hosts), and a CPU sensor drops out for two minutes, under load. */
function faultScenario(durationS: number): BenchScenario {
  return {
    name: "W9",
    durationS,
    forHost: (i, runSeed) => {
      const rng = createRng(hostSeed(runSeed, i, "workload"));
      const noise = new LoadNoise(rng.fork("noise"), durationS, 0.03, 10);
      const base = 0.6 + 0.25 * rng.next();
      const workload: Workload = {
        name: "W9",
        durationS,
        at: (t) => ({ cpuUtil: Math.min(1, Math.max(0, base + noise.at(t))), diskMBps: 20, inletC: 25 }),
      };
      return { workload, faults: w9Faults(durationS) };
    },
  };
}

/** W9's faults: at 20 % of the run fan 0 dies and the pump loses half its flow; at 50 % the CPU sensor drops out for 120 s. */
function w9Faults(durationS: number): ScheduledFault[] {
  const faultAtS = 0.2 * durationS;
  const dropAtS = 0.5 * durationS;
  return [
    { kind: "fan-dead", atS: faultAtS, fan: 0 },
    { kind: "pump-degraded", atS: faultAtS, fraction: 0.5 },
    { kind: "sensor-dropout", atS: dropAtS, untilS: dropAtS + 120, sensor: "cpu0" },
  ];
}

/**
 * Another scenario with W9's fault schedule added (for choosing fault handling on the training workloads, whose
 * loads differ from W9's steady 60–85 %).
 */
export function withW9Faults(scenario: BenchScenario): BenchScenario {
  return {
    name: `${scenario.name}+faults`,
    durationS: scenario.durationS,
    forHost: (i, runSeed) => {
      const host = scenario.forHost(i, runSeed);
      return { ...host, faults: [...host.faults, ...w9Faults(scenario.durationS)] };
    },
  };
}

/**
 * The scenario for a workload id; durationS overrides the workload's default length, inletC the room temperature
 * of the synthetic workloads (training data covers several rooms; the benchmark itself runs them at 25 °C).
 */
export function benchScenario(id: BenchWorkloadId, durationS?: number, inletC?: number): BenchScenario {
  const d = durationS ?? DEFAULT_DURATION_S[id];
  switch (id) {
    case "W5":
    case "W6":
      return traceWindowScenario(id, d);
    case "W8":
      return inletScenario(d);
    case "W9":
      return faultScenario(d);
    default:
      return syntheticScenario(id, d, inletC);
  }
}

/** A user trace (--trace FILE): named by its basename, replayed as is on every host; durationS cuts it. */
export function traceFileScenario(file: string, durationS?: number): BenchScenario {
  const trace = loadTraceCsv(file);
  const name = basename(file, extname(file));
  const d = durationS ?? trace.durationS;
  return { name, durationS: d, forHost: () => ({ workload: windowOf(trace, 0, d, name), faults: [] }) };
}

export function isBenchWorkload(id: string): id is BenchWorkloadId {
  return (BENCH_WORKLOADS as readonly string[]).includes(id);
}
