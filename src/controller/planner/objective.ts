import type { HostStateName } from "../types.js";

/**
 * What the planner asks a policy to optimise for a host, by host state (ARCHITECTURE: "Each state changes what the
 * planner optimises"). "safety" (Error) is never handed to a policy: the planner sends nothing then.
 */
export const PLANNING_OBJECTIVES = ["energy", "headroom", "feedforward", "drives", "safety"] as const;
export type PlanningObjective = (typeof PLANNING_OBJECTIVES)[number];

/** The objectives a policy is asked to plan for. */
export type PlannedObjective = Exclude<PlanningObjective, "safety">;

/**
 * An objective made concrete, so every policy interprets it the same way: the baselines lower their targets by the
 * offsets and add the bias to their demand; MPC may read `kind` and use its own cost terms.
 */
export interface HostObjective {
  kind: PlannedObjective;
  /** Every controlled target is treated as this much lower (°C): headroom before a predicted rise. */
  targetOffsetC: number;
  /** Drive targets are treated as this much lower again (°C): drives age fastest with heat. */
  driveTargetOffsetC: number;
  /** Added to the cooling demand (percentage points) ahead of the heat a rising load will bring. */
  biasPct: number;
}

export const ENERGY_OBJECTIVE: HostObjective = Object.freeze({ kind: "energy", targetOffsetC: 0, driveTargetOffsetC: 0, biasPct: 0 });

/** How strongly each objective bends the baselines. */
export interface ObjectiveTuning {
  /** Cooling: targets lowered by this margin (°C). */
  headroomC: number;
  /** DataStorage: drive targets lowered by this much (°C). */
  driveTighterC: number;
  /** Scaling: fan/pump bias per percentage point of CPU utilisation above its recent baseline. */
  feedforwardPctPerUtilPct: number;
  /** Scaling: the bias never exceeds this (percentage points). */
  feedforwardMaxPct: number;
}

export const DEFAULT_OBJECTIVE_TUNING: Readonly<ObjectiveTuning> = Object.freeze({
  headroomC: 3,
  driveTighterC: 5,
  feedforwardPctPerUtilPct: 0.5,
  feedforwardMaxPct: 30,
});

/** The objective for a host state; undefined = do not plan this host (Setup, Decommissioned) — or, for Error, "safety". */
export function objectiveKindForState(state: HostStateName): PlanningObjective | undefined {
  switch (state) {
    case "Running":
      return "energy";
    case "Cooling":
      return "headroom";
    case "Scaling":
      return "feedforward";
    case "DataStorage":
      return "drives";
    case "Error":
      return "safety";
    case "Setup":
    case "Decommissioned":
      return undefined;
  }
}

/** The concrete objective for a planned kind; utilRisePct feeds the Scaling feed-forward. */
export function hostObjective(kind: PlannedObjective, tuning: ObjectiveTuning, utilRisePct: number): HostObjective {
  switch (kind) {
    case "energy":
      return ENERGY_OBJECTIVE;
    case "headroom":
      return { kind, targetOffsetC: tuning.headroomC, driveTargetOffsetC: 0, biasPct: 0 };
    case "drives":
      return { kind, targetOffsetC: 0, driveTargetOffsetC: tuning.driveTighterC, biasPct: 0 };
    case "feedforward": {
      const rise = Number.isFinite(utilRisePct) ? Math.max(0, utilRisePct) : 0;
      const biasPct = Math.min(tuning.feedforwardMaxPct, tuning.feedforwardPctPerUtilPct * rise);
      return { kind, targetOffsetC: 0, driveTargetOffsetC: 0, biasPct };
    }
  }
}
