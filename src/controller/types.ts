import type { Alarm, Capabilities, ControlMode, ReadingQuality, SensorRole, Setpoints } from "../protocol/index.js";

/**
 * Shared controller-side vocabulary: what ingest derives from telemetry, what the host state machine and the
 * planner consume, and what the store keeps. The agent never imports this (src/agent and src/controller stay apart).
 */

export const HOST_STATES = ["Setup", "Running", "Cooling", "Scaling", "DataStorage", "Error", "Decommissioned"] as const;
export type HostStateName = (typeof HOST_STATES)[number];

/** One controlled temperature as the controller last saw it, with its limits from the host's birth manifest. */
export interface HostTemperature {
  id: string;
  role: SensorRole;
  tempC: number | null;
  quality: ReadingQuality;
  targetC: number;
  criticalC: number;
  required: boolean;
}

/**
 * Per-host features over one window of telemetry (default 10 s). These are what the state machine and the
 * learned model consume; the store keeps them apart from raw telemetry.
 */
export interface HostFeatures {
  hostId: string;
  /** Window start and end, ms since epoch (agent timestamps). */
  windowStartMs: number;
  windowEndMs: number;
  samples: number;
  /** max over the window and over CPU sensors of (tempC − targetC); negative = headroom. null if none trusted. */
  cpuMarginC: number | null;
  /** Same for drives. */
  driveMarginC: number | null;
  /** Hottest CPU temperature in the window. */
  cpuMaxC: number | null;
  driveMaxC: number | null;
  inletC: number | null;
  cpuUtilMeanPct: number | null;
  /** Least-squares slope of CPU utilisation over the window, percentage points per minute. */
  cpuUtilSlopePctPerMin: number | null;
  diskMBpsMean: number | null;
  fanPctMean: number;
  pumpPctMean: number | null;
  powerWMean: number | null;
  /** Readings of required sensors that were not "ok", summed over the window. */
  badRequiredReadings: number;
  /** Agent control modes seen in the window (failsafe/override are signals for the state machine). */
  modes: ControlMode[];
}

/** Latest view of one host, as ingest keeps it in memory for the planner, the state machine and the API. */
export interface HostView {
  hostId: string;
  online: boolean;
  boot: string | undefined;
  lastSeenMs: number | undefined;
  state: HostStateName;
  capabilities: Capabilities | undefined;
  periodMs: number;
  temperatures: HostTemperature[];
  fanPct: number | undefined;
  pumpPct: number | undefined;
  cpuUtilPct: number | null;
  diskMBps: number | null;
  powerW: number | null;
  mode: ControlMode | undefined;
  /** The agent's active alarms, from its latest telemetry (absent: none known). */
  alarms?: Alarm[];
}

/** What a planning policy proposes for one host. */
export interface SetpointProposal {
  hostId: string;
  setpoints: Setpoints;
  /** How long the set-point may stand before the agent falls back to its own control. */
  ttlMs: number;
}
