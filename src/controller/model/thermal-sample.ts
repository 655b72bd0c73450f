import { isTrusted } from "../planner/margins.js";
import type { HostView } from "../types.js";

/**
 * What the thermal model reads of one host in one control period: the hottest trusted CPU and drive readings, the
 * inlet and coolant, load, disk throughput and the outputs the agent applied. NaN where the host had no trusted value.
 */
export interface ThermalSample {
  cpuC: number;
  driveC: number;
  inletC: number;
  utilPct: number;
  diskMBps: number;
  fanPct: number;
  pumpPct: number;
  /** Hottest trusted coolant reading (liquid-cooled hosts; absent or NaN on air). */
  coolantC?: number;
}

/** The sample of one host view (one telemetry message joined with its birth manifest). */
export function sampleFromView(view: Pick<HostView, "temperatures" | "cpuUtilPct" | "diskMBps" | "fanPct" | "pumpPct">): ThermalSample {
  let cpuC = Number.NaN;
  let driveC = Number.NaN;
  let inletC = Number.NaN;
  let coolantC = Number.NaN;
  for (const t of view.temperatures) {
    if (!isTrusted(t)) continue;
    if (t.role === "cpu") cpuC = Number.isNaN(cpuC) ? t.tempC : Math.max(cpuC, t.tempC);
    else if (t.role === "drive") driveC = Number.isNaN(driveC) ? t.tempC : Math.max(driveC, t.tempC);
    else if (t.role === "inlet") inletC = Number.isNaN(inletC) ? t.tempC : Math.max(inletC, t.tempC);
    else if (t.role === "coolant") coolantC = Number.isNaN(coolantC) ? t.tempC : Math.max(coolantC, t.tempC);
  }
  return {
    cpuC,
    driveC,
    inletC,
    utilPct: view.cpuUtilPct ?? Number.NaN,
    diskMBps: view.diskMBps ?? Number.NaN,
    fanPct: view.fanPct ?? Number.NaN,
    pumpPct: view.pumpPct ?? Number.NaN,
    coolantC,
  };
}
