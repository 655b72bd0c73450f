import { PutCommand } from "@aws-sdk/lib-dynamodb";
import type { Telemetry } from "../../protocol/index.js";
import { forEachLimited } from "./dynamodb-batch.js";
import type { DynamoHosts } from "./dynamodb-hosts.js";
import { fromTelemetry, toTelemetry } from "./dynamodb-items.js";
import { DIRECTORY_PK, HOST_SK, hostPk, PREFIX, rawSk, timeBetween, TIME_INDEX } from "./dynamodb-layout.js";
import { isConditionFailure, type DynamoTable } from "./dynamodb-table.js";
import { summarizeTelemetry, type SensorRoles } from "./telemetry-summary.js";
import type { AppendResult } from "./telemetry-store.js";

/**
 * Raw telemetry in the DynamoDB store: one item per message (R#<boot>#<seq>, in the time index by ts), written
 * with a conditional put so a stored key counts as a duplicate, read by time, counted and deleted by retention.
 * The per-host counts live on the host item (DynamoHosts), so counting reads no messages.
 */
export class DynamoRawTelemetry {
  constructor(
    private readonly table: DynamoTable,
    private readonly hosts: DynamoHosts,
  ) {}

  async appendTelemetry(batch: readonly Telemetry[]): Promise<AppendResult> {
    if (batch.length === 0) return { inserted: 0, duplicates: 0 };
    const hosts = [...new Set(batch.map((t) => t.host))];
    await this.hosts.ensureHosts(hosts);
    // A repeat inside the batch is a duplicate without a request; each distinct key is one conditional put.
    const distinct = new Map<string, Telemetry>();
    for (const t of batch) {
      const key = `${t.host}\n${rawSk(t.boot, t.seq)}`;
      if (!distinct.has(key)) distinct.set(key, t);
    }
    const roles = new Map<string, SensorRoles>();
    for (const host of hosts) roles.set(host, await this.hosts.rolesFor(host));
    const insertedByHost = new Map<string, number>();
    let failure: Error | undefined;
    try {
      await forEachLimited([...distinct.values()], this.table.concurrency, async (t) => {
        try {
          await this.table.doc.send(
            new PutCommand({
              TableName: this.table.name,
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
    await forEachLimited(hosts, this.table.concurrency, (host) => this.hosts.noteTelemetry(host, insertedByHost.get(host) ?? 0, newestByHost.get(host) ?? 0));
    if (failure !== undefined) throw failure;
    const inserted = [...insertedByHost.values()].reduce((a, b) => a + b, 0);
    return { inserted, duplicates: batch.length - inserted };
  }

  async telemetryRange(hostId: string, fromMs: number, toMs: number, limit: number): Promise<Telemetry[]> {
    const range = timeBetween(PREFIX.rawTime, fromMs, toMs);
    if (!range || limit <= 0) return [];
    const items = await this.table.queryTime(hostId, range, { limit });
    return items.map(toTelemetry);
  }

  async countTelemetry(hostId?: string): Promise<number> {
    // Per-host counters kept by appendTelemetry and deleteRawBefore: a Query with Select COUNT would read (and be
    // charged for) every stored message.
    if (hostId !== undefined) return Number((await this.table.getItem(hostPk(hostId), HOST_SK))?.["rawCount"] ?? 0);
    let total = 0;
    for (const item of (await this.hosts.hostItems()).values()) total += Number(item?.["rawCount"] ?? 0);
    return total;
  }

  async deleteRawBefore(ms: number): Promise<number> {
    const range = timeBetween(PREFIX.rawTime, 0, ms);
    if (!range) return 0;
    let deleted = 0;
    for (const host of await this.table.directory(DIRECTORY_PK)) {
      const n = await this.table.deletePages(host, range, TIME_INDEX);
      if (n > 0) await this.hosts.addRawCount(host, -n);
      deleted += n;
    }
    return deleted;
  }
}
