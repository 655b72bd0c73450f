import { createRng, type Rng } from "../rng.js";
import { clampUtil, LoadNoise, PhaseSchedule, uniform } from "./load-noise.js";
import { DEFAULT_INLET_C, type Workload, type WorkloadId, type WorkloadOptions, type WorkloadPoint } from "./workload.js";

/** Background I/O every host has (logs, metrics, page cache write-back). */
const BACKGROUND_DISK_MBPS = 5;
const UTIL_NOISE_SD = 0.015;
const NOISE_CORRELATION_S = 10;

interface Shape {
  durationS: number;
  /** The noise-free workload; noise is added on top and the result clamped. */
  base(tS: number): WorkloadPoint;
  /** Relative jitter of disk throughput, 0 for none. */
  diskNoiseFraction?: number;
}

function build(name: string, rng: Rng, shape: Shape): Workload {
  const { durationS } = shape;
  const utilNoise = new LoadNoise(rng.fork("util-noise"), durationS, UTIL_NOISE_SD, NOISE_CORRELATION_S);
  const diskNoise = new LoadNoise(rng.fork("disk-noise"), durationS, shape.diskNoiseFraction ?? 0.1, NOISE_CORRELATION_S);
  return {
    name,
    durationS,
    at(tS: number): WorkloadPoint {
      const t = Math.min(durationS, Math.max(0, tS));
      const point = shape.base(t);
      return {
        cpuUtil: clampUtil(point.cpuUtil + utilNoise.at(t)),
        diskMBps: Math.max(0, point.diskMBps * (1 + diskNoise.at(t))),
        inletC: point.inletC,
      };
    },
  };
}

/** W1: idle ↔ 100 % steps, each phase about 5 minutes (±30 % from the seed) so the heatsinks settle in between. */
function stepsW1(rng: Rng, durationS: number, inletC: number): Shape {
  const lengths = rng.fork("phases");
  const schedule = new PhaseSchedule(durationS, (i) => ({ phase: i % 2 === 0 ? 0 : 1, lengthS: 300 * uniform(lengths, 0.7, 1.3) }));
  return { durationS, base: (t) => ({ cpuUtil: schedule.at(t).phase, diskMBps: BACKGROUND_DISK_MBPS, inletC }) };
}

/** W2: 0 → 100 % linear ramp over 10 minutes, then full load. */
function rampW2(durationS: number, inletC: number): Shape {
  return { durationS, base: (t) => ({ cpuUtil: Math.min(1, t / 600), diskMBps: BACKGROUND_DISK_MBPS, inletC }) };
}

/** W3: 30 s bursts to 100 % over a 20 % base, 1–3 minutes apart (from the seed). */
function burstsW3(rng: Rng, durationS: number, inletC: number): Shape {
  const gaps = rng.fork("gaps");
  const schedule = new PhaseSchedule(durationS, (i) =>
    i % 2 === 0 ? { phase: 0.2, lengthS: uniform(gaps, 60, 180) } : { phase: 1, lengthS: 30 },
  );
  return { durationS, base: (t) => ({ cpuUtil: schedule.at(t).phase, diskMBps: BACKGROUND_DISK_MBPS, inletC }) };
}

/** W4: SPECpower-style staircase 100 %, 90 % … 10 %, then active idle; eleven equal steps (240 s each by default). */
function staircaseW4(durationS: number, inletC: number): Shape {
  const stepS = durationS / 11;
  return {
    durationS,
    base: (t) => ({ cpuUtil: Math.max(0, 1 - 0.1 * Math.min(10, Math.floor(t / stepS))), diskMBps: BACKGROUND_DISK_MBPS, inletC }),
  };
}

/**
 * W7: a 24 h day compressed by timeCompression. Load follows a diurnal curve (low 03:00, peak 15:00), a nightly
 * backup (01:00–02:30) pushes the disks, and the room drifts ±1 °C with the day (rate scales with the compression).
 */
function dailyW7(rng: Rng, durationS: number, dayS: number, inletC: number): Shape {
  const peakUtil = uniform(rng.fork("peak"), 0.6, 0.8);
  return {
    durationS,
    diskNoiseFraction: 0.15,
    base: (t) => {
      const hour = ((t / dayS) * 24) % 24;
      const diurnal = 0.5 - 0.5 * Math.cos((2 * Math.PI * (hour - 3)) / 24);
      const backup = hour >= 1 && hour < 2.5;
      return {
        cpuUtil: 0.08 + (peakUtil - 0.08) * diurnal + (backup ? 0.1 : 0),
        diskMBps: backup ? 400 : BACKGROUND_DISK_MBPS + 60 * diurnal,
        inletC: inletC + Math.sin((2 * Math.PI * (hour - 9)) / 24),
      };
    },
  };
}

type InfluxPhase = { cpuUtil: number; diskMBps: number };

/**
 * W10: data influx. Steady service, then a sustained ingest that keeps the drives busy for 10–20 minutes (drive
 * heating is slow, so it must be long), then CPU-heavy processing of what arrived, and again.
 */
function dataInfluxW10(rng: Rng, durationS: number, inletC: number): Shape {
  const draws = rng.fork("phases");
  const schedule = new PhaseSchedule<InfluxPhase>(durationS, (i) => {
    switch (i % 3) {
      case 0:
        return { phase: { cpuUtil: 0.3, diskMBps: 40 }, lengthS: uniform(draws, 300, 600) };
      case 1:
        return { phase: { cpuUtil: 0.45, diskMBps: 700 * uniform(draws, 0.85, 1.1) }, lengthS: uniform(draws, 600, 1200) };
      default:
        return { phase: { cpuUtil: 0.75, diskMBps: 250 }, lengthS: uniform(draws, 300, 600) };
    }
  });
  return { durationS, diskNoiseFraction: 0.08, base: (t) => ({ ...schedule.at(t).phase, inletC }) };
}

const DEFAULT_DURATION_S: Record<Exclude<WorkloadId, "W7">, number> = { W1: 3600, W2: 900, W3: 1800, W4: 2640, W10: 5400 };

/** One of the reference workloads; deterministic given the seed. */
export function createWorkload(id: WorkloadId, opts: WorkloadOptions = {}): Workload {
  const rng = createRng(opts.seed ?? 1).fork(id);
  const inletC = opts.inletC ?? DEFAULT_INLET_C;
  const compression = opts.timeCompression ?? 1;
  if (!(compression > 0 && Number.isFinite(compression))) throw new RangeError(`workload ${id}: timeCompression must be a positive number; got ${compression}`);
  const dayS = 86_400 / compression;
  const durationS = opts.durationS ?? (id === "W7" ? dayS : DEFAULT_DURATION_S[id]);
  if (!(durationS > 0 && Number.isFinite(durationS))) throw new RangeError(`workload ${id}: durationS must be a positive number; got ${durationS}`);
  const shapes: Record<WorkloadId, () => Shape> = {
    W1: () => stepsW1(rng, durationS, inletC),
    W2: () => rampW2(durationS, inletC),
    W3: () => burstsW3(rng, durationS, inletC),
    W4: () => staircaseW4(durationS, inletC),
    W7: () => dailyW7(rng, durationS, dayS, inletC),
    W10: () => dataInfluxW10(rng, durationS, inletC),
  };
  const shape = shapes[id];
  if (!shape) throw new RangeError(`unknown workload "${String(id)}"; known: ${Object.keys(shapes).join(", ")}`);
  const workload = build(id, rng, shape());
  // W7 folds compression into its day length (its inlet drift rate depends on it); the others play faster.
  return id === "W7" || compression === 1 ? workload : compressTime(workload, compression);
}

/** The same workload played `factor` times faster: phases, bursts and ramps all shrink by the factor. */
function compressTime(workload: Workload, factor: number): Workload {
  return {
    name: workload.name,
    durationS: workload.durationS / factor,
    at: (tS) => workload.at(tS * factor),
  };
}
