import { BatchGetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { HostState } from "../../protocol/index.js";
import { BATCH_GET_MAX_KEYS, forEachLimited, sendAllWithRetry } from "./dynamodb-batch.js";
import { toStoredHost, type Item } from "./dynamodb-items.js";
import { DIRECTORY_PK, HOST_SK, hostIdOfPk, hostPk } from "./dynamodb-layout.js";
import { isConditionFailure, type DynamoTable } from "./dynamodb-table.js";
import { presenceApplies, type Presence } from "./presence.js";
import { sensorRoles, type SensorRoles } from "./telemetry-summary.js";
import type { StoredHost } from "./telemetry-store.js";

/**
 * Hosts in the DynamoDB store: the host directory and each host's item (H#<host>, #HOST). The item carries the
 * presence upsertHost decides on, the state recordTransition sets, and the newest telemetry time and stored-message
 * counter appendTelemetry and deleteRawBefore keep. Also caches each host's sensor roles for summarising telemetry.
 */
export class DynamoHosts {
  private readonly rolesByHost = new Map<string, SensorRoles>();
  /** Hosts this process has put in the directory (a put per host per process, not per write). */
  private readonly listedHosts = new Set<string>();

  constructor(private readonly table: DynamoTable) {}

  async upsertHost(state: HostState): Promise<{ applied: boolean }> {
    // Optimistic concurrency: the write is conditional on the presence version that was read.
    for (let attempt = 0; attempt < 10; attempt++) {
      const item = await this.table.getItem(hostPk(state.host), HOST_SK);
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
        await this.table.doc.send(
          new UpdateCommand({
            TableName: this.table.name,
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
    const items = await this.hostItems();
    return [...items].map(([id, item]) => toStoredHost(id, item));
  }

  async getHost(hostId: string): Promise<StoredHost | undefined> {
    const item = await this.table.getItem(hostPk(hostId), HOST_SK);
    return item && toStoredHost(hostId, item);
  }

  /** Every listed host's item (undefined if only the directory knows it yet), in host id order. */
  async hostItems(): Promise<Map<string, Item | undefined>> {
    const ids = await this.table.directory(DIRECTORY_PK);
    const items = new Map<string, Item | undefined>(ids.map((id) => [id, undefined]));
    await sendAllWithRetry(
      "listHosts BatchGetItem",
      ids,
      BATCH_GET_MAX_KEYS,
      async (batch) => {
        const out = await this.table.doc.send(
          new BatchGetCommand({ RequestItems: { [this.table.name]: { Keys: batch.map((id) => ({ pk: hostPk(id), sk: HOST_SK })), ConsistentRead: true } } }),
        );
        for (const item of out.Responses?.[this.table.name] ?? []) items.set(hostIdOfPk(String(item["pk"])), item);
        return (out.UnprocessedKeys?.[this.table.name]?.Keys ?? []).map((key) => hostIdOfPk(String(key["pk"])));
      },
      this.table.backoff,
    );
    return items;
  }

  /** Puts each host in the directory (once per host per process) and makes sure its host item exists. */
  async ensureHosts(hostIds: readonly string[]): Promise<void> {
    const missing = hostIds.filter((h) => !this.listedHosts.has(h));
    await forEachLimited(missing, this.table.concurrency, async (host) => {
      await this.table.doc.send(new PutCommand({ TableName: this.table.name, Item: { pk: DIRECTORY_PK, sk: host } }));
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
          Key: { pk: hostPk(host), sk: HOST_SK },
          UpdateExpression: "SET #hostId = :host",
          ExpressionAttributeNames: { "#hostId": "hostId" },
          ExpressionAttributeValues: { ":host": host },
        }),
      );
      this.listedHosts.add(host);
    });
  }

  /** The sensor roles of the host's birth manifest in force (cached; upsertHost refreshes them). */
  async rolesFor(hostId: string): Promise<SensorRoles> {
    let roles = this.rolesByHost.get(hostId);
    if (!roles) {
      roles = sensorRoles(toStoredHost(hostId, await this.table.getItem(hostPk(hostId), HOST_SK)).birth);
      this.rolesByHost.set(hostId, roles);
    }
    return roles;
  }

  /** The host's newest telemetry time (only ever raised) and its stored-message counter. */
  async noteTelemetry(hostId: string, inserted: number, newestMs: number): Promise<void> {
    try {
      await this.table.doc.send(
        new UpdateCommand({
          TableName: this.table.name,
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

  async addRawCount(hostId: string, n: number): Promise<void> {
    await this.table.doc.send(
      new UpdateCommand({
        TableName: this.table.name,
        Key: { pk: hostPk(hostId), sk: HOST_SK },
        UpdateExpression: "ADD #count :n",
        ExpressionAttributeNames: { "#count": "rawCount" },
        ExpressionAttributeValues: { ":n": n },
      }),
    );
  }
}
