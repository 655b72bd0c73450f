import type { ControlMode, HostBirth, Reading } from "../../protocol/index.js";
import type { PlanRoute } from "../planner/plan-route.js";
import type { HostStateName, HostView } from "../types.js";

/** A host as the read model serves it: the planner's view plus who plans the host now (absent from older sources). */
export type ReadModelHost = HostView & { plannedBy?: PlanRoute };

/** One stored telemetry message as the API returns it. */
export interface TelemetryPoint {
  ts: number;
  seq: number;
  boot: string;
  mode: ControlMode;
  fanPct: number;
  pumpPct: number | null;
  readings: Reading[];
}

export interface StateTransitionRecord {
  hostId: string;
  from: HostStateName;
  to: HostStateName;
  cause: string;
  atMs: number;
}

export interface FleetSummary {
  hosts: number;
  online: number;
  byState: Record<HostStateName, number>;
  telemetryStored: number;
  telemetryRejected: number;
  /** Telemetry a gap in a host's sequence numbers shows was never stored (seq gaps less late arrivals; protocol.md). */
  telemetryMissing: number;
  commandsSent: number;
  commandsAcked: number;
  ackLatencyP50Ms: number | null;
  ackLatencyP99Ms: number | null;
  transitions: number;
  /**
   * Fans + pumps across the online fleet, W: estimated from the watts each host announces at 100 % and the outputs
   * of its latest telemetry (cube law; cooling-power.ts). null when no host allows an estimate.
   */
  coolingPowerW: number | null;
  /** Online hosts in coolingPowerW (those announcing their fan and pump watts). */
  coolingPowerHosts: number;
  serverPowerW: number | null;
  policy: string;
}

/** A live update pushed to dashboards (Server-Sent Events). */
export type FleetEvent =
  | { type: "hosts"; hosts: ReadModelHost[] }
  | { type: "telemetry"; hostId: string; point: TelemetryPoint }
  | { type: "transition"; transition: StateTransitionRecord }
  | { type: "summary"; summary: FleetSummary };

/**
 * What the HTTP layer may ask of the controller: the port between the API/dashboard and everything behind it.
 * The controller implements it over ingest's in-memory view and the store.
 */
export interface FleetReadModel {
  hosts(): ReadModelHost[];
  host(hostId: string): { view: ReadModelHost; birth: HostBirth | undefined } | undefined;
  telemetry(hostId: string, fromMs: number, toMs: number, limit: number): Promise<TelemetryPoint[]>;
  transitions(hostId: string, fromMs: number, toMs: number): Promise<StateTransitionRecord[]>;
  summary(): Promise<FleetSummary>;
  /** Registers a listener for live events; returns the function that removes it. */
  subscribe(listener: (event: FleetEvent) => void): () => void;
}
