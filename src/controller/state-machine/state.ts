import type { HostFeatures, HostStateName } from "../types.js";
import type { TriggerName } from "./table.js";

/** What put a host into Error. */
export type HostFaultKind = "sensor" | "actuator" | "link";
export interface HostFault {
  kind: HostFaultKind;
  detail: string;
  atMs: number;
}

/**
 * Conditions whose unbroken duration the triggers time. The entry conditions (hot, utilRise, diskSurge) keep
 * running across state changes; the exit conditions are timed within the current state only.
 */
export const ENTRY_CONDITIONS = ["hot", "utilRise", "diskSurge"] as const;
export const EXIT_CONDITIONS = ["cool", "utilStable", "diskQuiet", "healthy"] as const;
export type HeldCondition = (typeof ENTRY_CONDITIONS)[number] | (typeof EXIT_CONDITIONS)[number];

export interface HostMachineState {
  readonly name: HostStateName;
  /** When the host entered this state (the atMs of the event that moved it). */
  readonly sinceMs: number;
  /** Since when each condition has held without a break (start of the evidence); absent = not holding now. */
  readonly heldSinceMs: Readonly<Partial<Record<HeldCondition, number>>>;
  /** Consecutive windows whose utilisation slope reached scalingSlopePctPerMin. */
  readonly risingSlopeWindows: number;
  /** Utilisation the current stable run is measured against (Scaling exit); null until a window sets it. */
  readonly stableUtilRefPct: number | null;
  /** Running baselines: exponential moving averages of the window means. */
  readonly utilBaselinePct: number | null;
  readonly diskBaselineMBps: number | null;
  /** The latest birth in this Setup said a model/baseline is ready for the host. */
  readonly calibrated: boolean;
  /** Set in Error: what failed, and since when. */
  readonly fault: HostFault | null;
}

export type HostEvent =
  /** Capabilities probed; calibrated = a model/baseline is ready for this host. A calibrated=false birth can be followed by the same birth with calibrated=true once it is. */
  | { type: "birth"; atMs: number; calibrated: boolean }
  /** One window of features; atMs is normally the window's end. */
  | { type: "features"; atMs: number; features: HostFeatures }
  | { type: "offline"; atMs: number; reason: "lost" | "shutdown" }
  | { type: "actuatorFault"; atMs: number; detail: string }
  | { type: "decommission"; atMs: number };

export interface StateChange {
  from: HostStateName;
  to: HostStateName;
  /** The TRANSITIONS row that allowed the change. */
  trigger: TriggerName;
  /** The trigger with the values that fired it, for logs, alerts and the dashboard. */
  cause: string;
}

export interface TransitionResult {
  state: HostMachineState;
  change?: StateChange;
}

/** A host the controller has just heard of: Setup, waiting for its birth. */
export function initialState(atMs: number): HostMachineState {
  return {
    name: "Setup",
    sinceMs: atMs,
    heldSinceMs: {},
    risingSlopeWindows: 0,
    stableUtilRefPct: null,
    utilBaselinePct: null,
    diskBaselineMBps: null,
    calibrated: false,
    fault: null,
  };
}
