import type { Ack, AckStatus, Command, HostBirth, HostState, Telemetry } from "../../protocol/index.js";
import type { HostFeatures, HostStateName } from "../types.js";

/**
 * The controller's storage, one interface for every backend (SQLite embedded, DynamoDB for large fleets).
 * Methods are async so a network backend fits; the contract suite in test/contract/store-contract.ts pins
 * the behaviour every implementation must show.
 */
export interface TelemetryStore {
  /**
   * Applies a birth (online) or an offline state (Last Will or clean shutdown) to the host's presence.
   * Stale messages are ignored, so reordering and retained redelivery cannot flip a host back:
   * a birth older than the presence in force, or an offline state of a boot that is no longer current.
   */
  upsertHost(state: HostState): Promise<{ applied: boolean }>;
  listHosts(): Promise<StoredHost[]>;
  getHost(hostId: string): Promise<StoredHost | undefined>;

  /** Stores raw telemetry in one transaction; idempotent on (host, boot, seq): a key already stored counts as a duplicate. */
  appendTelemetry(batch: readonly Telemetry[]): Promise<AppendResult>;
  /** Messages with fromMs ≤ ts < toMs, ordered by ts; at most `limit` (default DEFAULT_RANGE_LIMIT). */
  telemetryRange(hostId: string, fromMs: number, toMs: number, limit?: number): Promise<Telemetry[]>;
  countTelemetry(hostId?: string): Promise<number>;

  /** Stores feature windows apart from raw telemetry; a window already stored for (host, windowStartMs) is replaced. */
  appendFeatures(features: readonly HostFeatures[]): Promise<void>;
  /** Windows with fromMs ≤ windowStartMs < toMs, ordered by windowStartMs. */
  featuresRange(hostId: string, fromMs: number, toMs: number): Promise<HostFeatures[]>;

  /** Records a command as sent. Record it before publishing: an ack can arrive before a publish resolves. */
  recordCommand(cmd: Command, sentAtMs: number): Promise<void>;
  /** Stores an ack and, when it is the first for a known command, its latency receivedAtMs − sentAtMs. */
  recordAck(ack: Ack, receivedAtMs: number): Promise<AckMatch>;
  /** Commands sent at or after sinceMs (all when omitted) and what their first acks said. */
  commandStats(sinceMs?: number): Promise<CommandStats>;

  /** Appends a state-machine transition and makes `to` the host's current state. */
  recordTransition(transition: HostTransition): Promise<void>;
  /** Transitions with fromMs ≤ atMs < toMs (open ends when omitted), oldest first. */
  transitions(hostId: string, fromMs?: number, toMs?: number): Promise<HostTransition[]>;

  /**
   * Aggregates raw telemetry into buckets of bucketMs per host, for every whole bucket that ends at or before
   * olderThanMs and was not rolled up before. Each bucket is computed once: telemetry that arrives for a bucket
   * already rolled up stays in the raw table only.
   */
  rollUp(bucketMs: number, olderThanMs: number): Promise<RollUpResult>;
  /** Roll-up buckets with fromMs ≤ bucketStartMs < toMs, oldest first. */
  rollupRange(hostId: string, bucketMs: number, fromMs: number, toMs: number): Promise<TelemetryRollup[]>;
  /**
   * Deletes roll-up buckets of every bucket size that ended at or before ms (bucketStartMs + bucketMs ≤ ms); returns
   * how many went. The roll-up progress stays: rollUp never computes a deleted bucket again.
   */
  deleteRollupsBefore(ms: number): Promise<number>;
  /** Deletes raw telemetry with ts < ms; returns how many messages went. */
  deleteRawBefore(ms: number): Promise<number>;
  /** Deletes feature windows that ended at or before ms; returns how many went. */
  deleteFeaturesBefore(ms: number): Promise<number>;
  /**
   * Deletes commands sent before ms and acks received before ms (a backend may also delete the later acks of the
   * commands that go); returns how many commands and acks went. commandStats(since ≥ ms) is unchanged.
   */
  deleteCommandsBefore(ms: number): Promise<number>;
  /** Deletes state transitions before ms (each host's current state stays on the host); returns how many went. */
  deleteTransitionsBefore(ms: number): Promise<number>;
  /**
   * Gives the space of deleted rows back to the file system, where the backend keeps it (SQLite); absent where it
   * has nothing to give back (DynamoDB). Run after the retention deletes.
   */
  reclaimSpace?(): Promise<SpaceReclaimed>;

  close(): Promise<void>;
}

/** What reclaimSpace gave back. */
export interface SpaceReclaimed {
  bytesFreed: number;
  /** Set when the store cannot give space back as it is, with what the operator can do about it. */
  notReclaimable?: string;
}

/** A telemetryRange without a limit returns at most this many messages, so a careless query cannot exhaust memory. */
export const DEFAULT_RANGE_LIMIT = 10_000;

export type OfflineReason = Extract<HostState, { online: false }>["reason"];

export interface StoredHost {
  hostId: string;
  online: boolean;
  /** Boot of the presence in force; undefined for a host known only from telemetry. */
  boot: string | undefined;
  /** Latest agent timestamp of any stored message from the host. */
  lastSeenMs: number | undefined;
  /** Latest applied birth (sensor manifest, capabilities); undefined until one arrives. */
  birth: HostBirth | undefined;
  offlineReason: OfflineReason | undefined;
  /** Current state-machine state: "Setup" until the first transition is recorded. */
  state: HostStateName;
}

export interface AppendResult {
  inserted: number;
  duplicates: number;
}

export interface AckMatch {
  /**
   * first: the first ack for a known command (its latency is stored); repeat: that command already had one
   * (a QoS 1 redelivery or a "replayed" answer, kept for audit only); unknown: no command with that id was recorded.
   */
  outcome: "first" | "repeat" | "unknown";
  latencyMs: number | undefined;
}

export interface CommandStats {
  sent: number;
  /** Commands by the status of their first ack. */
  acked: Record<AckStatus, number>;
  unacked: number;
  /** Acks whose command was never recorded. */
  unknownAcks: number;
  /** Nearest-rank percentiles of first-ack latency; undefined when no command was acked. */
  p50LatencyMs: number | undefined;
  p99LatencyMs: number | undefined;
}

export interface HostTransition {
  hostId: string;
  /** null for the first state a host enters. */
  from: HostStateName | null;
  to: HostStateName;
  cause: string;
  atMs: number;
}

export interface RollUpResult {
  /** Roll-up rows written. */
  buckets: number;
  /** Raw messages they summarise. */
  samples: number;
  /** Every bucket starting before this is now rolled up. */
  doneBeforeMs: number;
}

/**
 * One host over one bucket. Per-message values are derived at append time: cpuMaxC is the hottest trusted
 * temperature of a sensor the host's birth manifest gives role "cpu" (driveMaxC likewise), cpuUtilPct the mean
 * of trusted load readings, powerW the largest trusted power reading (the server meter).
 */
export interface TelemetryRollup {
  hostId: string;
  bucketMs: number;
  bucketStartMs: number;
  samples: number;
  cpuMaxCMin: number | null;
  cpuMaxCMax: number | null;
  cpuMaxCMean: number | null;
  driveMaxCMax: number | null;
  fanPctMean: number;
  fanPctMax: number;
  pumpPctMean: number | null;
  powerWMean: number | null;
  cpuUtilPctMean: number | null;
  /** Messages in which the agent was in failsafe or override mode. */
  failsafeSamples: number;
  overrideSamples: number;
}
