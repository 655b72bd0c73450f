import type { DynamoDBClient, DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import type { Ack, Command, HostState, Telemetry } from "../../protocol/index.js";
import type { HostFeatures } from "../types.js";
import { DEFAULT_BACKOFF, type BackoffPolicy } from "./dynamodb-batch.js";
import { DynamoCommands } from "./dynamodb-commands.js";
import { DynamoFeatures } from "./dynamodb-features.js";
import { DynamoHosts } from "./dynamodb-hosts.js";
import { connectTable } from "./dynamodb-open.js";
import { DynamoRawTelemetry } from "./dynamodb-raw-telemetry.js";
import { DynamoRollups } from "./dynamodb-rollups.js";
import { DynamoTable, TIME_ALL } from "./dynamodb-table.js";
import { DynamoTransitions } from "./dynamodb-transitions.js";
import {
  DEFAULT_RANGE_LIMIT,
  type AckMatch,
  type AppendResult,
  type CommandStats,
  type HostTransition,
  type RollUpResult,
  type StoredHost,
  type TelemetryRollup,
  type TelemetryStore,
} from "./telemetry-store.js";

export interface DynamoStoreOptions {
  tableName: string;
  region: string;
  /** Another endpoint than AWS's for the region: dynalite or DynamoDB Local. */
  endpoint?: string;
  /** Create the table (on-demand capacity) when it does not exist, and wait until it is active. */
  createTable?: boolean;
  /** Only for a local endpoint in tests; everywhere else the SDK's default credential chain supplies them. */
  credentials?: DynamoDBClientConfig["credentials"];
  /** SDK attempts per request (throttling and 5xx are retried with the SDK's backoff); default 3. */
  maxAttempts?: number;
  /** Re-sending of unprocessed batch items. */
  backoff?: Partial<BackoffPolicy>;
  /** Requests one method keeps in flight at once; default 16. */
  concurrency?: number;
}

/**
 * The DynamoDB store: one table (layout in dynamodb-layout.ts and docs/storage.md). Every method is async and
 * rejects on failure; throttling that outlasts the SDK's retries is a rejection the caller retries.
 * Reads that decide something (presence, first ack, duplicates) are strongly consistent.
 *
 * This class opens and closes the store and checks it is open; each concern lives in a module of its own, all on
 * one DynamoTable (dynamodb-table.ts): hosts and presence (dynamodb-hosts.ts), raw telemetry
 * (dynamodb-raw-telemetry.ts), feature windows (dynamodb-features.ts), commands and acks (dynamodb-commands.ts),
 * state transitions (dynamodb-transitions.ts) and roll-ups (dynamodb-rollups.ts); each module also deletes its
 * own items for retention. Connecting and the table check are in dynamodb-open.ts.
 */
export class DynamoTelemetryStore implements TelemetryStore {
  private readonly hosts: DynamoHosts;
  private readonly raw: DynamoRawTelemetry;
  private readonly featureWindows: DynamoFeatures;
  private readonly commands: DynamoCommands;
  private readonly stateTransitions: DynamoTransitions;
  private readonly rollups: DynamoRollups;
  private closed = false;

  private constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    options: DynamoStoreOptions,
  ) {
    const table = new DynamoTable(client, tableName, { ...DEFAULT_BACKOFF, ...options.backoff }, options.concurrency ?? 16);
    this.hosts = new DynamoHosts(table);
    this.raw = new DynamoRawTelemetry(table, this.hosts);
    this.featureWindows = new DynamoFeatures(table, this.hosts);
    this.commands = new DynamoCommands(table, this.hosts);
    this.stateTransitions = new DynamoTransitions(table, this.hosts);
    this.rollups = new DynamoRollups(table);
  }

  /** Connects, checks (or creates) the table; rejects naming the table and what to do when it cannot be used. */
  static async open(options: DynamoStoreOptions): Promise<DynamoTelemetryStore> {
    const client = await connectTable(options);
    return new DynamoTelemetryStore(client, options.tableName, options);
  }

  async upsertHost(state: HostState): Promise<{ applied: boolean }> {
    this.assertOpen();
    return this.hosts.upsertHost(state);
  }

  async listHosts(): Promise<StoredHost[]> {
    this.assertOpen();
    return this.hosts.listHosts();
  }

  async getHost(hostId: string): Promise<StoredHost | undefined> {
    this.assertOpen();
    return this.hosts.getHost(hostId);
  }

  async appendTelemetry(batch: readonly Telemetry[]): Promise<AppendResult> {
    this.assertOpen();
    return this.raw.appendTelemetry(batch);
  }

  async telemetryRange(hostId: string, fromMs: number, toMs: number, limit = DEFAULT_RANGE_LIMIT): Promise<Telemetry[]> {
    this.assertOpen();
    return this.raw.telemetryRange(hostId, fromMs, toMs, limit);
  }

  async countTelemetry(hostId?: string): Promise<number> {
    this.assertOpen();
    return this.raw.countTelemetry(hostId);
  }

  async appendFeatures(features: readonly HostFeatures[]): Promise<void> {
    this.assertOpen();
    return this.featureWindows.appendFeatures(features);
  }

  async featuresRange(hostId: string, fromMs: number, toMs: number): Promise<HostFeatures[]> {
    this.assertOpen();
    return this.featureWindows.featuresRange(hostId, fromMs, toMs);
  }

  async recordCommand(cmd: Command, sentAtMs: number): Promise<void> {
    this.assertOpen();
    return this.commands.recordCommand(cmd, sentAtMs);
  }

  async recordAck(ack: Ack, receivedAtMs: number): Promise<AckMatch> {
    this.assertOpen();
    return this.commands.recordAck(ack, receivedAtMs);
  }

  async commandStats(sinceMs = 0): Promise<CommandStats> {
    this.assertOpen();
    return this.commands.commandStats(sinceMs);
  }

  async recordTransition(transition: HostTransition): Promise<void> {
    this.assertOpen();
    return this.stateTransitions.recordTransition(transition);
  }

  async transitions(hostId: string, fromMs = 0, toMs = TIME_ALL): Promise<HostTransition[]> {
    this.assertOpen();
    return this.stateTransitions.transitions(hostId, fromMs, toMs);
  }

  async rollUp(bucketMs: number, olderThanMs: number): Promise<RollUpResult> {
    this.assertOpen();
    return this.rollups.rollUp(bucketMs, olderThanMs);
  }

  async rollupRange(hostId: string, bucketMs: number, fromMs: number, toMs: number): Promise<TelemetryRollup[]> {
    this.assertOpen();
    return this.rollups.rollupRange(hostId, bucketMs, fromMs, toMs);
  }

  async deleteRollupsBefore(ms: number): Promise<number> {
    this.assertOpen();
    return this.rollups.deleteRollupsBefore(ms);
  }

  async deleteRawBefore(ms: number): Promise<number> {
    this.assertOpen();
    return this.raw.deleteRawBefore(ms);
  }

  async deleteFeaturesBefore(ms: number): Promise<number> {
    this.assertOpen();
    return this.featureWindows.deleteFeaturesBefore(ms);
  }

  async deleteCommandsBefore(ms: number): Promise<number> {
    this.assertOpen();
    return this.commands.deleteCommandsBefore(ms);
  }

  async deleteTransitionsBefore(ms: number): Promise<number> {
    this.assertOpen();
    return this.stateTransitions.deleteTransitionsBefore(ms);
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.client.destroy();
    }
    return Promise.resolve();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`DynamoDB store ${this.tableName} is not open (closed)`);
  }
}
