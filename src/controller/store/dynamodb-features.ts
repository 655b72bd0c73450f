import type { HostFeatures } from "../types.js";
import type { DynamoHosts } from "./dynamodb-hosts.js";
import { fromFeatures, toFeatures, type Item } from "./dynamodb-items.js";
import { DIRECTORY_PK, PREFIX, timeBetween } from "./dynamodb-layout.js";
import type { DynamoTable } from "./dynamodb-table.js";

/**
 * Feature windows in the DynamoDB store: one item per host and window start (F#<windowStartMs>), replaced when
 * written again, read by window start and deleted by retention once the window has ended.
 */
export class DynamoFeatures {
  constructor(
    private readonly table: DynamoTable,
    private readonly hosts: DynamoHosts,
  ) {}

  async appendFeatures(features: readonly HostFeatures[]): Promise<void> {
    if (features.length === 0) return;
    await this.hosts.ensureHosts([...new Set(features.map((f) => f.hostId))]);
    // One batch must not name a key twice; the last window given for a key is the one kept.
    const byKey = new Map<string, Item>();
    for (const f of features) {
      const item = fromFeatures(f);
      byKey.set(`${String(item["pk"])}\n${String(item["sk"])}`, item);
    }
    await this.table.batchWrite("appendFeatures", [...byKey.values()].map((Item) => ({ PutRequest: { Item } })));
  }

  async featuresRange(hostId: string, fromMs: number, toMs: number): Promise<HostFeatures[]> {
    const range = timeBetween(PREFIX.features, fromMs, toMs);
    if (!range) return [];
    return (await this.table.queryBase(hostId, range)).map(toFeatures);
  }

  async deleteFeaturesBefore(ms: number): Promise<number> {
    const range = timeBetween(PREFIX.features, 0, ms);
    if (!range) return 0;
    let deleted = 0;
    for (const host of await this.table.directory(DIRECTORY_PK)) {
      deleted += await this.table.deletePages(host, range, undefined, { expression: "#windowEndMs <= :cut", names: { "#windowEndMs": "windowEndMs" }, values: { ":cut": ms } });
    }
    return deleted;
  }
}
