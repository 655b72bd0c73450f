import type { HostFeatures } from "../types.js";
import {
  ewma,
  isCool,
  isDiskQuiet,
  isDiskSurge,
  isHot,
  isSlopeRising,
  isUtilRise,
  isUtilStable,
  nextStableRefPct,
  sensorFaultIn,
} from "./conditions.js";
import { featureTriggers, type TriggerCandidate } from "./feature-triggers.js";
import { DEFAULT_STATE_MACHINE_PARAMS, type StateMachineParams } from "./params.js";
import {
  ENTRY_CONDITIONS,
  type HeldCondition,
  type HostEvent,
  type HostFault,
  type HostMachineState,
  type TransitionResult,
} from "./state.js";
import { transitionFor, type TransitionRow } from "./table.js";

/**
 * The host state machine: the next state for one event, and the change it made, if any. Pure: no clock, no I/O;
 * time is the event's atMs. A change happens only along a TRANSITIONS row, at most one per event; when several
 * triggers fire, the highest priority wins (Error > Cooling > DataStorage > Scaling). Decommissioned is final.
 */
export function transition(state: HostMachineState, event: HostEvent, params: StateMachineParams = DEFAULT_STATE_MACHINE_PARAMS): TransitionResult {
  if (state.name === "Decommissioned") return { state };
  switch (event.type) {
    case "features":
      return onFeatures(state, event.features, event.atMs, params);
    case "birth":
      return onBirth(state, event.calibrated, event.atMs);
    case "offline":
      return event.reason === "lost"
        ? onFault(state, { kind: "link", detail: "agent lost (MQTT Last Will)", atMs: event.atMs }, "link failure")
        : fire(state, event.atMs, [["clean shutdown", () => "clean agent shutdown; waiting for its next birth"]], { calibrated: false }, { calibrated: false });
    case "actuatorFault":
      return onFault(state, { kind: "actuator", detail: event.detail, atMs: event.atMs }, "actuator failure");
    case "decommission":
      return fire(state, event.atMs, [["decommission", () => "decommissioned"]]);
  }
}

/** Setup → Running when calibrated; Error → Setup on any birth (the agent restarted); elsewhere nothing. */
function onBirth(state: HostMachineState, calibrated: boolean, atMs: number): TransitionResult {
  const candidates: TriggerCandidate[] = [
    ["agent restart", () => `agent restarted (new birth, ${calibrated ? "calibrated" : "not calibrated yet"})`],
    ["calibrated birth", () => (calibrated ? "birth received, capabilities probed, host calibrated" : null)],
  ];
  return fire(state, atMs, candidates, { calibrated }, state.name === "Setup" ? { calibrated } : {});
}

function onFeatures(state: HostMachineState, features: HostFeatures, atMs: number, params: StateMachineParams): TransitionResult {
  const windowMs = Math.max(0, features.windowEndMs - features.windowStartMs);
  // A condition seen in this window has held since the window began, but not since before the current state.
  const evidenceStartMs = Math.max(atMs - windowMs, state.sinceMs);
  const observed: Record<HeldCondition, boolean> = {
    hot: isHot(features, params),
    utilRise: isUtilRise(features, state, params),
    diskSurge: isDiskSurge(features, state, params),
    cool: isCool(features, params),
    utilStable: isUtilStable(features, state, params),
    diskQuiet: isDiskQuiet(features, state, params),
    healthy: sensorFaultIn(features) === null,
  };
  const tracked: HostMachineState = {
    ...state,
    heldSinceMs: timeConditions(state.heldSinceMs, observed, evidenceStartMs),
    risingSlopeWindows: isSlopeRising(features, params) ? state.risingSlopeWindows + 1 : 0,
    stableUtilRefPct: nextStableRefPct(features, state, params),
  };
  const candidates = featureTriggers({ before: state, tracked, features, atMs, params });
  // Baselines move after the triggers were judged against them, so a surge is compared with what came before it.
  const windowS = windowMs / 1000;
  const next: HostMachineState = {
    ...tracked,
    utilBaselinePct: ewma(state.utilBaselinePct, features.cpuUtilMeanPct, windowS, params.utilBaselineTauS),
    diskBaselineMBps: ewma(state.diskBaselineMBps, features.diskMBpsMean, windowS, params.diskBaselineTauS),
  };
  const sensorFault: HostFault = { kind: "sensor", detail: sensorFaultIn(features) ?? "", atMs };
  return fire(next, atMs, candidates, (row) => {
    if (row.to === "Error") return { fault: sensorFault };
    // The fleet has absorbed the increase: the new level is the baseline the next increase is measured from.
    if (row.trigger === "workload absorbed") {
      const { utilRise: _absorbed, ...heldSinceMs } = next.heldSinceMs;
      return { utilBaselinePct: features.cpuUtilMeanPct ?? next.utilBaselinePct, heldSinceMs };
    }
    return {};
  });
}

/** An actuator or link fault: Error from an active state; in Error it becomes the fault and restarts recovery. */
function onFault(state: HostMachineState, fault: HostFault, trigger: "actuator failure" | "link failure"): TransitionResult {
  const result = fire(state, fault.atMs, [[trigger, () => `${trigger}: ${fault.detail}`]], { fault });
  if (result.change) return result;
  switch (state.name) {
    case "Error": {
      // Recovery now waits on the latest fault: it needs recoverHoldS of healthy windows after it.
      const { healthy: _restarted, ...heldSinceMs } = state.heldSinceMs;
      return { state: { ...state, fault, heldSinceMs } };
    }
    case "Setup":
      // A lost agent's next birth says again whether it is calibrated.
      return trigger === "link failure" ? { state: { ...state, calibrated: false } } : result;
    default:
      return result;
  }
}

type Patch = Partial<HostMachineState> | ((row: TransitionRow) => Partial<HostMachineState>);

/**
 * Takes the first candidate that has a row from the current state and fires; enterPatch applies to the state
 * entered, stayPatch to the state kept when nothing fires.
 */
function fire(state: HostMachineState, atMs: number, candidates: readonly TriggerCandidate[], enterPatch: Patch = {}, stayPatch: Partial<HostMachineState> = {}): TransitionResult {
  for (const [trigger, causeOf] of candidates) {
    const row = transitionFor(state.name, trigger);
    if (row === undefined) continue;
    const cause = causeOf();
    if (cause === null) continue;
    const patch = typeof enterPatch === "function" ? enterPatch(row) : enterPatch;
    return { state: enter(state, row, atMs, patch), change: { from: row.from, to: row.to, trigger, cause } };
  }
  return { state: { ...state, ...stayPatch } };
}

/**
 * The state a row leads to: exit conditions are timed afresh in it, entry conditions keep running, except into
 * Setup, where the agent stopped and nothing seen before its next birth still describes the host.
 */
function enter(state: HostMachineState, row: TransitionRow, atMs: number, patch: Partial<HostMachineState>): HostMachineState {
  const heldSinceMs: Partial<Record<HeldCondition, number>> = {};
  for (const condition of row.to === "Setup" ? [] : ENTRY_CONDITIONS) {
    const sinceMs = (patch.heldSinceMs ?? state.heldSinceMs)[condition];
    if (sinceMs !== undefined) heldSinceMs[condition] = sinceMs;
  }
  return {
    ...state,
    fault: null,
    ...patch,
    name: row.to,
    sinceMs: atMs,
    heldSinceMs,
    risingSlopeWindows: row.to === "Setup" ? 0 : (patch.risingSlopeWindows ?? state.risingSlopeWindows),
    stableUtilRefPct: null,
  };
}

/** A condition that holds keeps its start (or starts now); one that does not is forgotten. */
function timeConditions(
  previous: Readonly<Partial<Record<HeldCondition, number>>>,
  observed: Record<HeldCondition, boolean>,
  evidenceStartMs: number,
): Partial<Record<HeldCondition, number>> {
  const held: Partial<Record<HeldCondition, number>> = {};
  for (const condition of Object.keys(observed) as HeldCondition[]) {
    if (observed[condition]) held[condition] = previous[condition] ?? evidenceStartMs;
  }
  return held;
}
