import type { Telemetry } from "../protocol/index.js";
import type { TelemetryPoint } from "./http/read-model.js";

export function telemetryPoint(t: Telemetry): TelemetryPoint {
  return { ts: t.ts, seq: t.seq, boot: t.boot, mode: t.mode, fanPct: t.outputs.fanPct, pumpPct: t.outputs.pumpPct ?? null, readings: t.readings };
}
