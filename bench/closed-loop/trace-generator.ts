import { createRng, type Rng } from "../../firmware-sim/rng.js";

/**
 * Seeded per-machine CPU traces in the style of the public cluster traces, written as the simulator's trace CSV
 * (t_s,cpu_util,disk_mbps,inlet_c). We do not ship the real traces (hundreds of GB, own licences); these reproduce
 * the features that matter to a cooling controller:
 *
 * - alibaba2018 (W5): 10 s samples; co-located online services give a noisy 30–55 % base with a diurnal swing,
 *   batch jobs add plateaus of 2–10 minutes that push the machine to 85–100 %, disk I/O rises with the batch jobs.
 * - google2019 (W6): 60 s samples (the trace's usage windows, time-compressed); a lower 15–35 % base, many short
 *   tasks so utilisation changes in abrupt steps every few minutes, rare long saturating jobs, little disk I/O.
 */
export type TraceStyle = "alibaba2018" | "google2019";

export interface TraceRow {
  tS: number;
  cpuUtil: number;
  diskMBps: number;
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

function alibabaRows(rng: Rng, durationS: number): TraceRow[] {
  const stepS = 10;
  const base = 0.3 + 0.25 * rng.next();
  const dayS = 4 * 3600; // one compressed "day" every four hours: the diurnal swing shows within a run
  const rows: TraceRow[] = [];
  let noise = 0;
  let batchLeftS = 0;
  let batchLevel = 0;
  for (let t = 0; t <= durationS; t += stepS) {
    noise = 0.8 * noise + rng.normal(0, 0.04);
    if (batchLeftS <= 0 && rng.next() < stepS / 900) {
      batchLeftS = 120 + 480 * rng.next();
      batchLevel = 0.85 + 0.15 * rng.next();
    }
    const diurnal = 0.12 * Math.sin((2 * Math.PI * t) / dayS);
    const service = clamp01(base + diurnal + noise);
    const util = batchLeftS > 0 ? Math.max(service, batchLevel + rng.normal(0, 0.02)) : service;
    const diskMBps = 10 + 40 * service + (batchLeftS > 0 ? 150 + 100 * rng.next() : 0);
    rows.push({ tS: t, cpuUtil: clamp01(util), diskMBps });
    batchLeftS -= stepS;
  }
  return rows;
}

function googleRows(rng: Rng, durationS: number): TraceRow[] {
  const stepS = 60;
  const base = 0.15 + 0.2 * rng.next();
  const rows: TraceRow[] = [];
  let level = base;
  let holdS = 0;
  let longJobS = 0;
  for (let t = 0; t <= durationS; t += stepS) {
    if (holdS <= 0) {
      // Task arrivals and departures: the level jumps, with a heavy upper tail.
      const jump = rng.next() < 0.25 ? 0.4 + 0.5 * rng.next() : rng.normal(0, 0.12);
      level = clamp01(base + Math.max(-base, jump));
      holdS = 120 + 360 * rng.next();
    }
    if (longJobS <= 0 && rng.next() < stepS / 3600) longJobS = 600 + 600 * rng.next();
    const util = longJobS > 0 ? 0.95 + 0.05 * rng.next() : clamp01(level + rng.normal(0, 0.03));
    rows.push({ tS: t, cpuUtil: util, diskMBps: 5 + 20 * util });
    holdS -= stepS;
    longJobS -= stepS;
  }
  return rows;
}

/** One machine's trace; the same (style, seed, duration) always gives the same rows. */
export function generateTraceRows(style: TraceStyle, seed: number, durationS: number): TraceRow[] {
  const rng = createRng(seed).fork(style);
  return style === "alibaba2018" ? alibabaRows(rng, durationS) : googleRows(rng, durationS);
}

/** The rows as trace CSV; inlet is left to the default (25 °C) so the trace carries load only. */
export function traceCsv(rows: readonly TraceRow[], comment: string): string {
  const lines = [`# ${comment}`, "t_s,cpu_util,disk_mbps"];
  for (const r of rows) lines.push(`${r.tS},${r.cpuUtil.toFixed(3)},${r.diskMBps.toFixed(1)}`);
  return `${lines.join("\n")}\n`;
}
