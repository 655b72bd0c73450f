import type { HostBirth, HostState, Telemetry } from "../protocol/index.js";
import { FeatureWindow, hostViewFrom } from "./features.js";
import { initialState, transition, type HostEvent, type HostMachineState, type StateChange, type StateMachineParams } from "./state-machine/index.js";
import type { HostFeatures, HostView } from "./types.js";

/** What the controller knows of one host right now. */
interface HostRecord {
  hostId: string;
  birth: HostBirth | undefined;
  online: boolean;
  latest: Telemetry | undefined;
  /** Controller clock time of the latest telemetry, for silence detection (agent clocks may differ). */
  lastHeardMs: number | undefined;
  features: FeatureWindow | undefined;
  machine: HostMachineState;
  /** Set once silence was reported, so it is reported once per silence. */
  silent: boolean;
}

export interface RegistryChange {
  hostId: string;
  change: StateChange;
  atMs: number;
}

/**
 * The controller's in-memory fleet: per host its birth, latest telemetry, feature window and state machine.
 * Every input returns the state changes it caused; the caller stores and broadcasts them. No I/O here.
 */
export class FleetRegistry {
  private readonly hosts = new Map<string, HostRecord>();
  /** Views are rebuilt only for hosts that changed: planning asks for the whole fleet many times a second. */
  private readonly viewCache = new Map<string, HostView>();

  constructor(private readonly params?: StateMachineParams) {}

  private record(hostId: string, nowMs: number): HostRecord {
    let host = this.hosts.get(hostId);
    if (!host) {
      host = { hostId, birth: undefined, online: false, latest: undefined, lastHeardMs: undefined, features: undefined, machine: initialState(nowMs), silent: false };
      this.hosts.set(hostId, host);
    }
    return host;
  }

  private apply(host: HostRecord, event: HostEvent): RegistryChange[] {
    this.viewCache.delete(host.hostId);
    const result = transition(host.machine, event, this.params);
    host.machine = result.state;
    return result.change ? [{ hostId: host.hostId, change: result.change, atMs: event.atMs }] : [];
  }

  /** A birth or an offline state (Last Will or clean shutdown). */
  applyHostState(state: HostState, nowMs: number, calibrated: boolean): RegistryChange[] {
    const host = this.record(state.host, nowMs);
    this.viewCache.delete(host.hostId);
    if (state.online) {
      host.birth = state;
      host.online = true;
      host.silent = false;
      host.features = new FeatureWindow(state);
      host.lastHeardMs = nowMs;
      return this.apply(host, { type: "birth", atMs: nowMs, calibrated });
    }
    if (host.birth && host.birth.boot !== state.boot) return []; // an earlier boot's Last Will
    host.online = false;
    return this.apply(host, { type: "offline", atMs: nowMs, reason: state.reason });
  }

  /** One telemetry message; returns the feature window it closed (to store) and the state changes. */
  applyTelemetry(telemetry: Telemetry, nowMs: number): { features: HostFeatures | undefined; changes: RegistryChange[] } {
    const host = this.record(telemetry.host, nowMs);
    this.viewCache.delete(host.hostId);
    if (!host.latest || telemetry.boot !== host.latest.boot || telemetry.seq > host.latest.seq) host.latest = telemetry;
    host.lastHeardMs = nowMs;
    host.silent = false;
    const features = host.features?.push(telemetry);
    const changes = features ? this.apply(host, { type: "features", atMs: features.windowEndMs, features }) : [];
    // A cooling fault the agent reports (failed fan or pump, leak, a host it cannot cool) holds the host in Error
    // for as long as it lasts: every message carrying one restarts the recovery hold.
    if (telemetry.alarms && telemetry.alarms.length > 0) {
      const detail = telemetry.alarms.map((a) => `${a.kind} (${a.source})`).join(", ");
      changes.push(...this.apply(host, { type: "actuatorFault", atMs: telemetry.ts, detail: `agent reports ${detail}` }));
    }
    return { features, changes };
  }

  /** Hosts online whose telemetry stopped: their agent hangs or their link is gone without a Last Will yet. */
  checkSilence(nowMs: number, silentAfterPeriods: number): RegistryChange[] {
    const changes: RegistryChange[] = [];
    for (const host of this.hosts.values()) {
      if (!host.online || host.silent || host.lastHeardMs === undefined || !host.birth) continue;
      if (nowMs - host.lastHeardMs > silentAfterPeriods * host.birth.periodMs) {
        host.silent = true;
        this.viewCache.delete(host.hostId);
        changes.push(...this.apply(host, { type: "offline", atMs: nowMs, reason: "lost" }));
      }
    }
    return changes;
  }

  /** Every host's view, in the order hosts were first seen. */
  views(): HostView[] {
    return [...this.hosts.values()].map((h) => this.viewOf(h));
  }

  view(hostId: string): { view: HostView; birth: HostBirth | undefined } | undefined {
    const host = this.hosts.get(hostId);
    return host ? { view: this.viewOf(host), birth: host.birth } : undefined;
  }

  private viewOf(host: HostRecord): HostView {
    let view = this.viewCache.get(host.hostId);
    if (!view) {
      view = this.buildView(host);
      this.viewCache.set(host.hostId, view);
    }
    return view;
  }

  private buildView(host: HostRecord): HostView {
    const online = host.online && !host.silent;
    if (!host.birth) {
      return {
        hostId: host.hostId, online, boot: undefined, lastSeenMs: host.latest?.ts, state: host.machine.name, capabilities: undefined,
        periodMs: host.latest?.periodMs ?? 1000, temperatures: [], fanPct: host.latest?.outputs.fanPct, pumpPct: host.latest?.outputs.pumpPct,
        cpuUtilPct: null, diskMBps: null, powerW: null, mode: host.latest?.mode, alarms: host.latest?.alarms ?? [],
      };
    }
    const latest = host.latest && host.latest.boot === host.birth.boot ? host.latest : undefined;
    return { ...hostViewFrom(host.birth, latest), online, state: host.machine.name };
  }
}
