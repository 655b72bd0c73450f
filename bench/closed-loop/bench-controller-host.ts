import { FeatureWindow, hostViewFrom } from "../../src/controller/features.js";
import { initialState, transition, type HostMachineState } from "../../src/controller/state-machine/index.js";
import type { HostStateName, HostView } from "../../src/controller/types.js";
import { PROTOCOL_VERSION, type Capabilities, type HostBirth, type SensorManifestEntry, type Telemetry } from "../../src/protocol/index.js";

/** How the bench decides each host's objective. */
export type ObjectiveMode = "state" | "energy";

/**
 * The controller's view of one host, built the way ingest builds it: the birth manifest joined with the latest
 * telemetry (hostViewFrom), and — with objective mode "state" — the real host state machine fed with the real
 * 10 s feature windows, so Cooling, Scaling, DataStorage and Error change what the planner asks for.
 */
export class BenchControllerHost {
  private readonly birth: HostBirth;
  private readonly window: FeatureWindow;
  private machine: HostMachineState;
  /** Seconds spent in each state, for the report. */
  readonly stateSeconds: Partial<Record<HostStateName, number>> = {};

  constructor(
    hostId: string,
    startMs: number,
    periodMs: number,
    sensors: SensorManifestEntry[],
    capabilities: Capabilities,
    private readonly mode: ObjectiveMode,
  ) {
    this.birth = { v: PROTOCOL_VERSION, host: hostId, boot: "bench-boot-0001", online: true, ts: startMs, agentVersion: "bench", periodMs, sensors, capabilities };
    this.window = new FeatureWindow(this.birth);
    this.machine = transition(initialState(startMs), { type: "birth", atMs: startMs, calibrated: true }).state;
  }

  get state(): HostStateName {
    return this.mode === "energy" ? "Running" : this.machine.name;
  }

  /** Ingests one telemetry message and returns the host as the planner sees it. */
  observe(telemetry: Telemetry, periodS: number): HostView {
    const closed = this.window.push(telemetry);
    if (closed) this.machine = transition(this.machine, { type: "features", atMs: closed.windowEndMs, features: closed }).state;
    const state = this.state;
    this.stateSeconds[state] = (this.stateSeconds[state] ?? 0) + periodS;
    return { ...hostViewFrom(this.birth, telemetry), online: true, state };
  }
}
