import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient, type DynamoDBClientConfig } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
  type QueryCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { ACK_STATUSES, type Ack, type AckStatus, type Command, type HostState, type Telemetry } from "../../protocol/index.js";
import type { HostFeatures } from "../types.js";
import {
  BATCH_GET_MAX_KEYS,
  BATCH_WRITE_MAX_ITEMS,
  DEFAULT_BACKOFF,
  forEachLimited,
  sendAllWithRetry,
  type BackoffPolicy,
} from "./dynamodb-batch.js";
import { addToBucket, fromFeatures, fromRollup, fromTelemetry, toFeatures, toRollup, toStoredHost, toTelemetry, toTransition, type Item, type RollupSums } from "./dynamodb-items.js";
import {
  acksOfCommandPrefix,
  commandSk,
  createTableInput,
  DIRECTORY_PK,
  HOST_SK,
  hostIdOfPk,
  hostPk,
  layoutMismatch,
  META_PK,
  pad,
  PREFIX,
  rawSk,
  rollupProgressSk,
  timeBetween,
  TIME_INDEX,
} from "./dynamodb-layout.js";
import { presenceApplies, type Presence } from "./presence.js";
import { sensorRoles, summarizeTelemetry, type SensorRoles } from "./telemetry-summary.js";
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

/** Directory of hosts that sent an ack for an unknown command: unknownAcks counts their orphan acks. */
const ACK_DIRECTORY_PK = "ACKHOSTS";
const TIME_ALL = Number.MAX_SAFE_INTEGER;
const CONDITION_FAILED = "ConditionalCheckFailedException";
const ROLLUP_ATTRIBUTES = ["ts", "mode", "fanPct", "pumpPct", "cpuMaxC", "driveMaxC", "cpuUtilPct", "powerW"];

function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === CONDITION_FAILED;
}

/**
 * The DynamoDB store: one table (layout in dynamodb-layout.ts and docs/storage.md). Every method is async and
 * rejects on failure; throttling that outlasts the SDK's retries is a rejection the caller retries.
 * Reads that decide something (presence, first ack, duplicates) are strongly consistent.
 */
export class DynamoTelemetryStore implements TelemetryStore {
  private readonly doc: DynamoDBDocumentClient;
  private readonly backoff: BackoffPolicy;
  private readonly concurrency: number;
  private readonly rolesByHost = new Map<string, SensorRoles>();
  /** Hosts this process has put in the directory (a put per host per process, not per write). */
  private readonly listedHosts = new Set<string>();
  private readonly ackListedHosts = new Set<string>();
  /** Orders transitions of one host with the same atMs in the order they were recorded. */
  private transitionCounter = 0;
  private closed = false;

  private constructor(
    private readonly client: DynamoDBClient,
    readonly tableName: string,
    options: DynamoStoreOptions,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.concurrency = options.concurrency ?? 16;
  }

  /** Connects, checks (or creates) the table; rejects naming the table and what to do when it cannot be used. */
  static async open(options: DynamoStoreOptions): Promise<DynamoTelemetryStore> {
    const client = new DynamoDBClient({
      region: options.region,
      maxAttempts: options.maxAttempts ?? 3,
      ...(options.endpoint !== undefined ? { endpoint: options.endpoint } : {}),
      ...(options.credentials !== undefined ? { credentials: options.credentials } : {}),
    });
    const where = `DynamoDB table ${options.tableName} (region ${options.region}${options.endpoint !== undefined ? `, endpoint ${options.endpoint}` : ""})`;
    try {
      if (options.createTable === true) await ensureTable(client, options.tableName);
      const { Table: table } = await client.send(new DescribeTableCommand({ TableName: options.tableName }));
      const mismatch = table && layoutMismatch(table);
      if (mismatch !== undefined) throw new Error(`${mismatch}; point store.dynamodb.tableName at a coolfleet table (docs/storage.md)`);
    } catch (err) {
      client.destroy();
      throw new Error(`${where}: ${openFailure(err)}`, { cause: err });
    }
    return new DynamoTelemetryStore(client, options.tableName, options);
  }

  async upsertHost(state: HostState): Promise<{ applied: boolean }> {
    this.assertOpen();
    // Optimistic concurrency: the write is conditional on the presence version that was read.
    for (let attempt = 0; attempt < 10; attempt++) {
      const item = await this.getItem(hostPk(state.host), HOST_SK);
      const version = typeof item?.["presenceVersion"] === "number" ? item["presenceVersion"] : undefined;
      const presenceTsMs = typeof item?.["presenceTsMs"] === "number" ? item["presenceTsMs"] : undefined;
      const current: Presence | undefined = item && {
        online: item["online"] === true,
        boot: typeof item["boot"] === "string" ? item["boot"] : undefined,
        presenceTsMs,
      };
      if (!presenceApplies(current, state)) return { applied: false };
      await this.ensureHosts([state.host]);
      const set = ["#online = :online", "#boot = :boot", "#presenceTsMs = :ts", "#presenceVersion = :next", "#hostId = :host"];
      const values: Item = { ":online": state.online, ":boot": state.boot, ":ts": Math.max(presenceTsMs ?? state.ts, state.ts), ":next": (version ?? 0) + 1, ":host": state.host };
      const names: Record<string, string> = { "#online": "online", "#boot": "boot", "#presenceTsMs": "presenceTsMs", "#presenceVersion": "presenceVersion", "#hostId": "hostId", "#offlineReason": "offlineReason" };
      let update: string;
      if (state.online) {
        // An offline state keeps the manifest: it still describes the host's sensors.
        set.push("#birth = :birth");
        names["#birth"] = "birth";
        values[":birth"] = JSON.stringify(state);
        update = `SET ${set.join(", ")} REMOVE #offlineReason`;
      } else {
        set.push("#offlineReason = :reason");
        values[":reason"] = state.reason;
        update = `SET ${set.join(", ")}`;
      }
      if (version !== undefined) values[":version"] = version;
      try {
        await this.doc.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: hostPk(state.host), sk: HOST_SK },
            UpdateExpression: update,
            ConditionExpression: version === undefined ? "attribute_not_exists(#presenceVersion)" : "#presenceVersion = :version",
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
          }),
        );
      } catch (err) {
        if (isConditionFailure(err)) continue; // another writer changed the presence: decide again on what it wrote
        throw err;
      }
      if (state.online) this.rolesByHost.set(state.host, sensorRoles(state));
      return { applied: true };
    }
    throw new Error(`upsertHost ${state.host}: the presence kept changing under concurrent writers; retry`);
  }

  async listHosts(): Promise<StoredHost[]> {
    this.assertOpen();
    const items = await this.hostItems();
    return [...items].map(([id, item]) => toStoredHost(id, item));
  }

  async getHost(hostId: string): Promise<StoredHost | undefined> {
    this.assertOpen();
    const item = await this.getItem(hostPk(hostId), HOST_SK);
    return item && toStoredHost(hostId, item);
  }

  async appendTelemetry(batch: readonly Telemetry[]): Promise<AppendResult> {
    this.assertOpen();
    if (batch.length === 0) return { inserted: 0, duplicates: 0 };
    const hosts = [...new Set(batch.map((t) => t.host))];
    await this.ensureHosts(hosts);
    // A repeat inside the batch is a duplicate without a request; each distinct key is one conditional put.
    const distinct = new Map<string, Telemetry>();
    for (const t of batch) {
      const key = `${t.host}\n${rawSk(t.boot, t.seq)}`;
      if (!distinct.has(key)) distinct.set(key, t);
    }
    const roles = new Map<string, SensorRoles>();
    for (const host of hosts) roles.set(host, await this.rolesFor(host));
    const insertedByHost = new Map<string, number>();
    let failure: Error | undefined;
    try {
      await forEachLimited([...distinct.values()], this.concurrency, async (t) => {
        try {
          await this.doc.send(
            new PutCommand({
              TableName: this.tableName,
              Item: fromTelemetry(t, summarizeTelemetry(t, roles.get(t.host) ?? new Map())),
              ConditionExpression: "attribute_not_exists(pk)",
            }),
          );
          insertedByHost.set(t.host, (insertedByHost.get(t.host) ?? 0) + 1);
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
        }
      });
    } catch (err) {
      failure = err instanceof Error ? err : new Error(String(err));
    }
    // The counters follow what was stored even when part of the batch failed, so the retry's duplicates balance.
    const newestByHost = new Map<string, number>();
    for (const t of batch) newestByHost.set(t.host, Math.max(newestByHost.get(t.host) ?? t.ts, t.ts));
    await forEachLimited(hosts, this.concurrency, (host) => this.noteTelemetry(host, insertedByHost.get(host) ?? 0, newestByHost.get(host) ?? 0));
    if (failure !== undefined) throw failure;
    const inserted = [...insertedByHost.values()].reduce((a, b) => a + b, 0);
    return { inserted, duplicates: batch.length - inserted };
  }

  async telemetryRange(hostId: string, fromMs: number, toMs: number, limit = DEFAULT_RANGE_LIMIT): Promise<Telemetry[]> {
    this.assertOpen();
    const range = timeBetween(PREFIX.rawTime, fromMs, toMs);
    if (!range || limit <= 0) return [];
    const items = await this.queryTime(hostId, range, { limit });
    return items.map(toTelemetry);
  }

  async countTelemetry(hostId?: string): Promise<number> {
    this.assertOpen();
    // Per-host counters kept by appendTelemetry and deleteRawBefore: a Query with Select COUNT would read (and be
    // charged for) every stored message.
    if (hostId !== undefined) return Number((await this.getItem(hostPk(hostId), HOST_SK))?.["rawCount"] ?? 0);
    let total = 0;
    for (const item of (await this.hostItems()).values()) total += Number(item?.["rawCount"] ?? 0);
    return total;
  }

  async appendFeatures(features: readonly HostFeatures[]): Promise<void> {
    this.assertOpen();
    if (features.length === 0) return;
    await this.ensureHosts([...new Set(features.map((f) => f.hostId))]);
    // One batch must not name a key twice; the last window given for a key is the one kept.
    const byKey = new Map<string, Item>();
    for (const f of features) {
      const item = fromFeatures(f);
      byKey.set(`${String(item["pk"])}\n${String(item["sk"])}`, item);
    }
    await this.batchWrite("appendFeatures", [...byKey.values()].map((Item) => ({ PutRequest: { Item } })));
  }

  async featuresRange(hostId: string, fromMs: number, toMs: number): Promise<HostFeatures[]> {
    this.assertOpen();
    const range = timeBetween(PREFIX.features, fromMs, toMs);
    if (!range) return [];
    return (await this.queryBase(hostId, range)).map(toFeatures);
  }

  async recordCommand(cmd: Command, sentAtMs: number): Promise<void> {
    this.assertOpen();
    await this.ensureHosts([cmd.host]);
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: hostPk(cmd.host),
            sk: commandSk(cmd.id),
            lk: `${PREFIX.commandTime}${pad(sentAtMs)}`,
            cmdId: cmd.id,
            seq: cmd.seq,
            issuedAtMs: cmd.issuedAt,
            expiresAtMs: cmd.expiresAt,
            setpoints: JSON.stringify(cmd.setpoints),
            sentAtMs,
          },
          ConditionExpression: "attribute_not_exists(pk)",
        }),
      );
    } catch (err) {
      if (isConditionFailure(err)) return; // already recorded: the first send is the one latency counts from
      throw err;
    }
    await this.adoptOrphanAcks(cmd.host, cmd.id, sentAtMs);
  }

  async recordAck(ack: Ack, receivedAtMs: number): Promise<AckMatch> {
    this.assertOpen();
    const command = await this.getItem(hostPk(ack.host), commandSk(ack.cmdId));
    if (!command) await this.listAckHost(ack.host);
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: hostPk(ack.host),
          sk: `${acksOfCommandPrefix(ack.cmdId)}${pad(receivedAtMs)}#${randomUUID()}`,
          // Only an unmatched ack is in the time index: the index is how unknownAcks counts them.
          ...(command ? {} : { lk: `${PREFIX.orphanAckTime}${pad(receivedAtMs)}` }),
          boot: ack.boot,
          cmdId: ack.cmdId,
          seq: ack.seq,
          status: ack.status,
          reason: ack.reason,
          ts: ack.ts,
          receivedAtMs,
          applied: ack.applied === undefined ? undefined : JSON.stringify(ack.applied),
        },
      }),
    );
    if (!command) {
      // The command may have been recorded between the read above and this ack's write, and its recordCommand may
      // have looked for early acks before this one was there: look again, so the ack cannot stay unmatched.
      const now = await this.getItem(hostPk(ack.host), commandSk(ack.cmdId));
      if (now) await this.adoptOrphanAcks(ack.host, ack.cmdId, Number(now["sentAtMs"]));
      return { outcome: "unknown", latencyMs: undefined };
    }
    if (command["ackStatus"] !== undefined) return { outcome: "repeat", latencyMs: undefined };
    const sentAtMs = Number(command["sentAtMs"]);
    return (await this.setFirstAck(ack.host, ack.cmdId, ack.status, receivedAtMs, sentAtMs))
      ? { outcome: "first", latencyMs: receivedAtMs - sentAtMs }
      : { outcome: "repeat", latencyMs: undefined };
  }

  async commandStats(sinceMs = 0): Promise<CommandStats> {
    this.assertOpen();
    const acked = Object.fromEntries(ACK_STATUSES.map((s) => [s, 0])) as Record<AckStatus, number>;
    const latencies: number[] = [];
    let sent = 0;
    const commandRange = timeBetween(PREFIX.commandTime, sinceMs, TIME_ALL);
    const orphanRange = timeBetween(PREFIX.orphanAckTime, sinceMs, TIME_ALL);
    await forEachLimited(await this.directory(DIRECTORY_PK), this.concurrency, async (host) => {
      if (!commandRange) return;
      for (const c of await this.queryTime(host, commandRange, { attributes: ["ackStatus", "ackLatencyMs"] })) {
        sent++;
        const status = c["ackStatus"];
        if (typeof status === "string" && status in acked) {
          acked[status as AckStatus]++;
          latencies.push(Number(c["ackLatencyMs"]));
        }
      }
    });
    let unknownAcks = 0;
    await forEachLimited(await this.directory(ACK_DIRECTORY_PK), this.concurrency, async (host) => {
      if (!orphanRange) return;
      const n = await this.countTime(host, orphanRange);
      unknownAcks += n;
    });
    latencies.sort((a, b) => a - b);
    // Nearest rank: the smallest latency with at least p of all latencies at or below it.
    const atPercentile = (p: number): number | undefined => (latencies.length === 0 ? undefined : latencies[Math.ceil(p * latencies.length) - 1]);
    return { sent, acked, unacked: sent - latencies.length, unknownAcks, p50LatencyMs: atPercentile(0.5), p99LatencyMs: atPercentile(0.99) };
  }

  async recordTransition(transition: HostTransition): Promise<void> {
    this.assertOpen();
    await this.ensureHosts([transition.hostId]);
    // DynamoDB transactions would make these two writes atomic at twice the write cost; the history is written
    // first, so a failure in between leaves the state one transition behind, and the retry writes both.
    const tiebreak = `${pad(++this.transitionCounter)}#${randomUUID().slice(0, 8)}`;
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: hostPk(transition.hostId),
          sk: `${PREFIX.transition}${pad(transition.atMs)}#${tiebreak}`,
          from: transition.from ?? undefined,
          to: transition.to,
          cause: transition.cause,
          atMs: transition.atMs,
        },
      }),
    );
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: hostPk(transition.hostId), sk: HOST_SK },
        UpdateExpression: "SET #state = :to, #hostId = :host",
        ExpressionAttributeNames: { "#state": "state", "#hostId": "hostId" },
        ExpressionAttributeValues: { ":to": transition.to, ":host": transition.hostId },
      }),
    );
  }

  async transitions(hostId: string, fromMs = 0, toMs = TIME_ALL): Promise<HostTransition[]> {
    this.assertOpen();
    const range = timeBetween(PREFIX.transition, fromMs, toMs);
    if (!range) return [];
    return (await this.queryBase(hostId, range)).map(toTransition);
  }

  async rollUp(bucketMs: number, olderThanMs: number): Promise<RollUpResult> {
    this.assertOpen();
    if (!Number.isInteger(bucketMs) || bucketMs <= 0) throw new Error(`rollUp: bucketMs must be a positive integer, got ${bucketMs}`);
    const progress = await this.getItem(META_PK, rollupProgressSk(bucketMs));
    const fromMs = Number(progress?.["doneBeforeMs"] ?? 0);
    const toMs = olderThanMs - (((olderThanMs % bucketMs) + bucketMs) % bucketMs);
    if (toMs <= fromMs) return { buckets: 0, samples: 0, doneBeforeMs: fromMs };
    const range = timeBetween(PREFIX.rawTime, fromMs, toMs);
    let buckets = 0;
    let samples = 0;
    for (const host of await this.directory(DIRECTORY_PK)) {
      if (!range) break;
      const sums = new Map<number, RollupSums>();
      for (const item of await this.queryTime(host, range, { attributes: ROLLUP_ATTRIBUTES })) addToBucket(sums, bucketMs, item);
      await forEachLimited([...sums.values()], this.concurrency, async (bucket) => {
        try {
          // Conditional: a rerun after a failure between hosts and the progress mark writes nothing twice.
          await this.doc.send(new PutCommand({ TableName: this.tableName, Item: fromRollup(host, bucketMs, bucket), ConditionExpression: "attribute_not_exists(pk)" }));
          buckets++;
          samples += bucket.samples;
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
        }
      });
    }
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { pk: META_PK, sk: rollupProgressSk(bucketMs), doneBeforeMs: toMs } }));
    return { buckets, samples, doneBeforeMs: toMs };
  }

  async rollupRange(hostId: string, bucketMs: number, fromMs: number, toMs: number): Promise<TelemetryRollup[]> {
    this.assertOpen();
    const range = timeBetween(`${PREFIX.rollup}${pad(bucketMs)}#`, fromMs, toMs);
    if (!range) return [];
    return (await this.queryBase(hostId, range)).map(toRollup);
  }

  async deleteRawBefore(ms: number): Promise<number> {
    this.assertOpen();
    const range = timeBetween(PREFIX.rawTime, 0, ms);
    if (!range) return 0;
    let deleted = 0;
    for (const host of await this.directory(DIRECTORY_PK)) {
      const n = await this.deletePages(host, range, TIME_INDEX);
      if (n > 0) await this.addRawCount(host, -n);
      deleted += n;
    }
    return deleted;
  }

  async deleteFeaturesBefore(ms: number): Promise<number> {
    this.assertOpen();
    const range = timeBetween(PREFIX.features, 0, ms);
    if (!range) return 0;
    let deleted = 0;
    for (const host of await this.directory(DIRECTORY_PK)) {
      deleted += await this.deletePages(host, range, undefined, { expression: "#windowEndMs <= :cut", names: { "#windowEndMs": "windowEndMs" }, values: { ":cut": ms } });
    }
    return deleted;
  }

  async deleteCommandsBefore(ms: number): Promise<number> {
    this.assertOpen();
    const sent = timeBetween(PREFIX.commandTime, 0, ms);
    if (!sent) return 0;
    // Every ack key starts "A#", and every such key sorts below "A$".
    const acks = { low: PREFIX.ack, high: "A$" };
    let deleted = 0;
    // Hosts with an ack for an unknown command may have no host item: both directories are walked.
    const hosts = new Set([...(await this.directory(DIRECTORY_PK)), ...(await this.directory(ACK_DIRECTORY_PK))]);
    for (const host of hosts) {
      // Acks received before the cut, then the commands sent before it (their later acks stay: a matched ack is
      // matched at arrival, and the counts read the command items).
      deleted += await this.deletePages(host, acks, undefined, { expression: "#receivedAtMs < :cut", names: { "#receivedAtMs": "receivedAtMs" }, values: { ":cut": ms } });
      deleted += await this.deletePages(host, sent, TIME_INDEX);
    }
    return deleted;
  }

  async deleteTransitionsBefore(ms: number): Promise<number> {
    this.assertOpen();
    const range = timeBetween(PREFIX.transition, 0, ms);
    if (!range) return 0;
    let deleted = 0;
    for (const host of await this.directory(DIRECTORY_PK)) deleted += await this.deletePages(host, range, undefined);
    return deleted;
  }

  close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      this.client.destroy();
    }
    return Promise.resolve();
  }

  // ---- internals ----

  private assertOpen(): void {
    if (this.closed) throw new Error(`DynamoDB store ${this.tableName} is not open (closed)`);
  }

  private async getItem(pk: string, sk: string): Promise<Item | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.tableName, Key: { pk, sk }, ConsistentRead: true }));
    return out.Item;
  }

  /** Every listed host's item (undefined if only the directory knows it yet), in host id order. */
  private async hostItems(): Promise<Map<string, Item | undefined>> {
    const ids = await this.directory(DIRECTORY_PK);
    const items = new Map<string, Item | undefined>(ids.map((id) => [id, undefined]));
    await sendAllWithRetry(
      "listHosts BatchGetItem",
      ids,
      BATCH_GET_MAX_KEYS,
      async (batch) => {
        const out = await this.doc.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: batch.map((id) => ({ pk: hostPk(id), sk: HOST_SK })), ConsistentRead: true } } }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) items.set(hostIdOfPk(String(item["pk"])), item);
        return (out.UnprocessedKeys?.[this.tableName]?.Keys ?? []).map((key) => hostIdOfPk(String(key["pk"])));
      },
      this.backoff,
    );
    return items;
  }

  /** Puts each host in the directory (once per host per process) and makes sure its host item exists. */
  private async ensureHosts(hostIds: readonly string[]): Promise<void> {
    const missing = hostIds.filter((h) => !this.listedHosts.has(h));
    await forEachLimited(missing, this.concurrency, async (host) => {
      await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { pk: DIRECTORY_PK, sk: host } }));
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: hostPk(host), sk: HOST_SK },
          UpdateExpression: "SET #hostId = :host",
          ExpressionAttributeNames: { "#hostId": "hostId" },
          ExpressionAttributeValues: { ":host": host },
        }),
      );
      this.listedHosts.add(host);
    });
  }

  private async listAckHost(hostId: string): Promise<void> {
    if (this.ackListedHosts.has(hostId)) return;
    await this.doc.send(new PutCommand({ TableName: this.tableName, Item: { pk: ACK_DIRECTORY_PK, sk: hostId } }));
    this.ackListedHosts.add(hostId);
  }

  /** Host ids in a directory partition, sorted (the sort key order). */
  private async directory(pk: string): Promise<string[]> {
    const ids: string[] = [];
    await this.queryPages({ KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": pk }, ProjectionExpression: "sk" }, (items) => {
      for (const item of items) ids.push(String(item["sk"]));
      return true;
    });
    return ids;
  }

  private async rolesFor(hostId: string): Promise<SensorRoles> {
    let roles = this.rolesByHost.get(hostId);
    if (!roles) {
      roles = sensorRoles(toStoredHost(hostId, await this.getItem(hostPk(hostId), HOST_SK)).birth);
      this.rolesByHost.set(hostId, roles);
    }
    return roles;
  }

  /** The host's newest telemetry time (only ever raised) and its stored-message counter. */
  private async noteTelemetry(hostId: string, inserted: number, newestMs: number): Promise<void> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: hostPk(hostId), sk: HOST_SK },
          UpdateExpression: "SET #last = :ts ADD #count :n",
          ConditionExpression: "attribute_not_exists(#last) OR #last < :ts",
          ExpressionAttributeNames: { "#last": "lastTelemetryMs", "#count": "rawCount" },
          ExpressionAttributeValues: { ":ts": newestMs, ":n": inserted },
        }),
      );
    } catch (err) {
      if (!isConditionFailure(err)) throw err;
      if (inserted > 0) await this.addRawCount(hostId, inserted);
    }
  }

  private async addRawCount(hostId: string, n: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: hostPk(hostId), sk: HOST_SK },
        UpdateExpression: "ADD #count :n",
        ExpressionAttributeNames: { "#count": "rawCount" },
        ExpressionAttributeValues: { ":n": n },
      }),
    );
  }

  /** Sets a command's first ack unless it has one; false when another ack got there first. */
  private async setFirstAck(hostId: string, cmdId: string, status: AckStatus, receivedAtMs: number, sentAtMs: number): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: hostPk(hostId), sk: commandSk(cmdId) },
          UpdateExpression: "SET #status = :status, #received = :received, #latency = :latency",
          ConditionExpression: "attribute_exists(pk) AND attribute_not_exists(#status)",
          ExpressionAttributeNames: { "#status": "ackStatus", "#received": "ackReceivedMs", "#latency": "ackLatencyMs" },
          ExpressionAttributeValues: { ":status": status, ":received": receivedAtMs, ":latency": receivedAtMs - sentAtMs },
        }),
      );
      return true;
    } catch (err) {
      if (isConditionFailure(err)) return false;
      throw err;
    }
  }

  /** An ack that beat its command's record: the earliest becomes the first ack, and all leave the orphan index. */
  private async adoptOrphanAcks(hostId: string, cmdId: string, sentAtMs: number): Promise<void> {
    const prefix = acksOfCommandPrefix(cmdId);
    const orphans = (await this.queryBase(hostId, { low: prefix, high: `${prefix}~` })).filter((a) => a["lk"] !== undefined);
    const earliest = orphans[0];
    if (!earliest) return;
    await this.setFirstAck(hostId, cmdId, earliest["status"] as AckStatus, Number(earliest["receivedAtMs"]), sentAtMs);
    await forEachLimited(orphans, this.concurrency, async (a) => {
      await this.doc.send(
        new UpdateCommand({ TableName: this.tableName, Key: { pk: a["pk"], sk: a["sk"] }, UpdateExpression: "REMOVE #lk", ExpressionAttributeNames: { "#lk": "lk" } }),
      );
    });
  }

  private async queryBase(hostId: string, range: { low: string; high: string }): Promise<Item[]> {
    const items: Item[] = [];
    await this.queryPages(
      {
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeValues: { ":pk": hostPk(hostId), ":low": range.low, ":high": range.high },
      },
      (page) => {
        items.push(...page);
        return true;
      },
    );
    return items;
  }

  private async queryTime(hostId: string, range: { low: string; high: string }, opts: { limit?: number; attributes?: string[] } = {}): Promise<Item[]> {
    const items: Item[] = [];
    const names: Record<string, string> = { "#lk": "lk" };
    opts.attributes?.forEach((a, i) => (names[`#a${i}`] = a));
    await this.queryPages(
      {
        IndexName: TIME_INDEX,
        KeyConditionExpression: "pk = :pk AND #lk BETWEEN :low AND :high",
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: { ":pk": hostPk(hostId), ":low": range.low, ":high": range.high },
        ...(opts.attributes ? { ProjectionExpression: opts.attributes.map((_, i) => `#a${i}`).join(", ") } : {}),
      },
      (page) => {
        items.push(...page);
        return opts.limit === undefined || items.length < opts.limit;
      },
      opts.limit,
    );
    return opts.limit === undefined ? items : items.slice(0, opts.limit);
  }

  private async countTime(hostId: string, range: { low: string; high: string }): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: TIME_INDEX,
          KeyConditionExpression: "pk = :pk AND #lk BETWEEN :low AND :high",
          ExpressionAttributeNames: { "#lk": "lk" },
          ExpressionAttributeValues: { ":pk": hostPk(hostId), ":low": range.low, ":high": range.high },
          Select: "COUNT",
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      count += out.Count ?? 0;
      start = out.LastEvaluatedKey;
    } while (start);
    return count;
  }

  /** Runs a query page by page (1 MB each) until the pages end or `onPage` returns false. */
  private async queryPages(input: Omit<QueryCommandInput, "TableName">, onPage: (items: Item[]) => boolean | Promise<boolean>, limit?: number): Promise<void> {
    let start: Record<string, unknown> | undefined;
    let seen = 0;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          ...input,
          TableName: this.tableName,
          ConsistentRead: true,
          ...(limit !== undefined ? { Limit: Math.max(limit - seen, 1) } : {}),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      const items = out.Items ?? [];
      seen += items.length;
      if (!(await onPage(items))) return;
      start = out.LastEvaluatedKey;
    } while (start);
  }

  /** Deletes what a query finds, a page at a time in batches of 25; returns how many went. */
  private async deletePages(hostId: string, range: { low: string; high: string }, index: string | undefined, filter?: { expression: string; names: Record<string, string>; values: Item }): Promise<number> {
    const key = index === undefined ? "sk" : "lk";
    let deleted = 0;
    // Page by page: deleting behind the query does not disturb its LastEvaluatedKey.
    await this.queryPages(
      {
        ...(index !== undefined ? { IndexName: index } : {}),
        KeyConditionExpression: "pk = :pk AND #key BETWEEN :low AND :high",
        ProjectionExpression: "pk, sk",
        ExpressionAttributeNames: { "#key": key, ...filter?.names },
        ExpressionAttributeValues: { ":pk": hostPk(hostId), ":low": range.low, ":high": range.high, ...filter?.values },
        ...(filter ? { FilterExpression: filter.expression } : {}),
      },
      async (page) => {
        await this.batchWrite(`delete ${hostId}`, page.map((item) => ({ DeleteRequest: { Key: { pk: item["pk"], sk: item["sk"] } } })));
        deleted += page.length;
        return true;
      },
    );
    return deleted;
  }

  private async batchWrite(operation: string, requests: readonly BatchRequest[]): Promise<void> {
    await sendAllWithRetry(`${operation} BatchWriteItem`, requests, BATCH_WRITE_MAX_ITEMS, async (batch) => {
      const out = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.tableName]: batch } }));
      return (out.UnprocessedItems?.[this.tableName] ?? []) as BatchRequest[];
    }, this.backoff);
  }
}

type BatchRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(new CreateTableCommand(createTableInput(tableName)));
  } catch (err) {
    if (!(err instanceof Error && err.name === "ResourceInUseException")) throw err;
  }
  for (let waitedMs = 0; ; waitedMs += 200) {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    if (table?.TableStatus === "ACTIVE") return;
    if (waitedMs >= 120_000) throw new Error(`still ${table?.TableStatus ?? "unknown"} after two minutes`);
    await sleep(200);
  }
}

function openFailure(err: unknown): string {
  const name = err instanceof Error ? err.name : "";
  const message = err instanceof Error ? err.message : String(err);
  if (name === "ResourceNotFoundException") {
    return "the table does not exist; create it as docs/storage.md describes, or set store.dynamodb.createTable: true";
  }
  if (name === "CredentialsProviderError") {
    return `no AWS credentials: the SDK's default chain found none (${message}); give the controller AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance/task role`;
  }
  return message;
}
