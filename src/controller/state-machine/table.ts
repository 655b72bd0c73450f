import type { HostStateName } from "../types.js";

export const TRIGGER_NAMES = [
  "calibrated birth",
  "agent restart",
  "temperature above band",
  "temperature back in band",
  "workload increase",
  "workload absorbed",
  "storage-I/O surge",
  "storage influx processed",
  "sensor failure",
  "actuator failure",
  "link failure",
  "fault cleared",
  "clean shutdown",
  "decommission",
] as const;
export type TriggerName = (typeof TRIGGER_NAMES)[number];

export interface TransitionRow {
  from: HostStateName;
  to: HostStateName;
  trigger: TriggerName;
}

/** The states a host is controlled in; each can fail into Error, stop cleanly or be decommissioned. */
export const ACTIVE_STATES = ["Running", "Cooling", "Scaling", "DataStorage"] as const satisfies readonly HostStateName[];

const FAULT_TRIGGERS = ["sensor failure", "actuator failure", "link failure"] as const satisfies readonly TriggerName[];

/**
 * Every change the machine can make. transition() decides when a trigger fires; this table decides where it leads
 * from the current state, and a trigger with no row from the current state does nothing. The diagram in
 * docs/state-machine.md is generated from it. [*] → Setup is initialState(); Decommissioned → [*] is the end.
 */
export const TRANSITIONS: readonly TransitionRow[] = Object.freeze([
  { from: "Setup", to: "Running", trigger: "calibrated birth" },

  { from: "Running", to: "Cooling", trigger: "temperature above band" },
  { from: "Cooling", to: "Running", trigger: "temperature back in band" },
  { from: "Running", to: "Scaling", trigger: "workload increase" },
  { from: "Scaling", to: "Running", trigger: "workload absorbed" },
  { from: "Running", to: "DataStorage", trigger: "storage-I/O surge" },
  { from: "DataStorage", to: "Running", trigger: "storage influx processed" },

  // Additions to the design drawing: a higher-priority trigger pre-empts a lower-priority state directly
  // (Cooling > DataStorage > Scaling), so a hot host never waits for a workload to settle first.
  { from: "Scaling", to: "Cooling", trigger: "temperature above band" },
  { from: "DataStorage", to: "Cooling", trigger: "temperature above band" },
  { from: "Scaling", to: "DataStorage", trigger: "storage-I/O surge" },

  // Addition: Error is reachable from every active state, not only Running.
  ...ACTIVE_STATES.flatMap((from) => FAULT_TRIGGERS.map((trigger) => ({ from, to: "Error" as const, trigger }))),
  // Addition: a host whose fault clears is controllable again; a restarted agent is set up anew.
  { from: "Error", to: "Running", trigger: "fault cleared" },
  { from: "Error", to: "Setup", trigger: "agent restart" },

  // A clean agent stop is not the end of the host: it waits in Setup for its next birth.
  ...[...ACTIVE_STATES, "Error" as const].map((from) => ({ from, to: "Setup" as const, trigger: "clean shutdown" as const })),
  // Only an explicit decommission ends a host.
  ...(["Setup", ...ACTIVE_STATES, "Error"] as const).map((from) => ({ from, to: "Decommissioned" as const, trigger: "decommission" as const })),
]);

/** Where a trigger leads from a state, if anywhere. */
export function transitionFor(from: HostStateName, trigger: TriggerName): TransitionRow | undefined {
  return TRANSITIONS.find((row) => row.from === from && row.trigger === trigger);
}
