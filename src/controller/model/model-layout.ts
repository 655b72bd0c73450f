import {
  CANDIDATE_FEATURES,
  flowResistance,
  LOAD_FEATURES,
  OUTPUTS,
  STATE_FEATURES,
  writeStateFeatures,
} from "./feature-spec.js";
import type { HostHistory } from "./host-history.js";

/** Which hosts a model describes: air-cooled (fans carry every watt) or direct liquid (a pumped loop carries the CPUs'). */
export type CoolingKind = "air" | "liquid";

/** Mean of a per-period quantity over the periods [from, to] after a row's "now" (training), by name. */
export type FutureMean = (quantity: "fanPct" | "fanResistance" | "pumpPct" | "plateResistance", fromS: number, toS: number) => number;

/**
 * The inputs and outputs of one kind of thermal model. The air layout is the original one (feature-spec.ts); the
 * liquid layout adds what a pumped loop needs — the pump and the coolant in the state, the pump in the candidate,
 * the coolant 60 s ahead in the outputs. The first outputs are the same in both, so a CPU or drive horizon has one
 * index whatever the layout.
 */
export interface ModelLayout {
  kind: CoolingKind;
  state: readonly string[];
  candidate: readonly string[];
  load: readonly string[];
  outputs: readonly string[];
  /** Writes the state features of a history into out[offset …]. */
  writeState(h: HostHistory, out: Float32Array, offset: number): void;
  /** Candidate features of a fan (and pump) level held from the next period over every horizon (MPC's candidates). */
  heldCandidate(fanPct: number, pumpPct: number): number[];
  /** Candidate features of what was actually applied after a row's "now" (training rows). */
  appliedCandidate(mean: FutureMean): number[];
}

/**
 * A cold plate's thermal resistance goes roughly as coolant flow^−0.6, and flow as pump speed: the same kind of
 * shape hint as flowResistance gives the air model.
 */
export function plateResistance(pumpPct: number): number {
  return Math.max(0.05, pumpPct / 100) ** -0.6;
}

export const AIR_LAYOUT: ModelLayout = Object.freeze({
  kind: "air",
  state: STATE_FEATURES,
  candidate: CANDIDATE_FEATURES,
  load: LOAD_FEATURES,
  outputs: OUTPUTS,
  writeState: writeStateFeatures,
  heldCandidate: (fanPct: number): number[] => {
    const r = flowResistance(fanPct);
    return [fanPct, fanPct, fanPct, fanPct, r, r];
  },
  appliedCandidate: (mean: FutureMean): number[] => [
    ...[10, 30, 60, 300].map((h) => mean("fanPct", 1, h)),
    mean("fanResistance", 1, 60),
    mean("fanResistance", 1, 300),
  ],
});

const LIQUID_STATE = [...STATE_FEATURES, "pumpNowPct", "pump3to19Pct", "pump20to60Pct", "coolantOverInletC", "coolantDelta20to60C"] as const;
const LIQUID_CANDIDATE = [...CANDIDATE_FEATURES, "pumpMean10Pct", "pumpMean30Pct", "pumpMean60Pct", "pumpMean300Pct", "plateResistance60", "plateResistance300"] as const;
export const LIQUID_OUTPUTS = [...OUTPUTS, "coolantIn60C"] as const;
export const COOLANT_HORIZONS_S = [60] as const;

const N_AIR_STATE = STATE_FEATURES.length;

export const LIQUID_LAYOUT: ModelLayout = Object.freeze({
  kind: "liquid",
  state: LIQUID_STATE,
  candidate: LIQUID_CANDIDATE,
  load: LOAD_FEATURES,
  outputs: LIQUID_OUTPUTS,
  writeState: (h: HostHistory, out: Float32Array, offset: number): void => {
    writeStateFeatures(h, out, offset);
    const coolantNow = h.mean("coolantC", 0, 2);
    const inletC = h.mean("inletC", 0, 9);
    const values = [
      h.at("pumpPct", 0),
      h.mean("pumpPct", 3, 19),
      h.mean("pumpPct", 20, 60),
      Number.isFinite(coolantNow) ? coolantNow - inletC : 0,
      Number.isFinite(coolantNow) ? h.mean("coolantC", 20, 60) - coolantNow : 0,
    ];
    for (let i = 0; i < values.length; i++) out[offset + N_AIR_STATE + i] = values[i] ?? 0;
  },
  heldCandidate: (fanPct: number, pumpPct: number): number[] => {
    const p = plateResistance(pumpPct);
    return [...AIR_LAYOUT.heldCandidate(fanPct, pumpPct), pumpPct, pumpPct, pumpPct, pumpPct, p, p];
  },
  appliedCandidate: (mean: FutureMean): number[] => [
    ...AIR_LAYOUT.appliedCandidate(mean),
    ...[10, 30, 60, 300].map((h) => mean("pumpPct", 1, h)),
    mean("plateResistance", 1, 60),
    mean("plateResistance", 1, 300),
  ],
});

export const LAYOUTS: Readonly<Record<CoolingKind, ModelLayout>> = Object.freeze({ air: AIR_LAYOUT, liquid: LIQUID_LAYOUT });

/** The layout whose feature names match a saved model's, if any. */
export function layoutOfFeatures(features: { state: readonly string[]; candidate: readonly string[]; load: readonly string[]; outputs: readonly string[] }): ModelLayout | undefined {
  const same = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);
  return Object.values(LAYOUTS).find((l) => same(l.state, features.state) && same(l.candidate, features.candidate) && same(l.load, features.load) && same(l.outputs, features.outputs));
}
