import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { forEachLimited } from "./dynamodb-batch.js";
import { addToBucket, fromRollup, toRollup, type RollupSums } from "./dynamodb-items.js";
import { DIRECTORY_PK, hostPk, META_PK, PREFIX, rollupProgressSk, rollupSizePrefix, timeBetween } from "./dynamodb-layout.js";
import { isConditionFailure, type DynamoTable } from "./dynamodb-table.js";
import type { RollUpResult, TelemetryRollup } from "./telemetry-store.js";

/** The attributes of a raw telemetry item a roll-up reads (the message itself stays unread). */
const ROLLUP_ATTRIBUTES = ["ts", "mode", "fanPct", "pumpPct", "cpuMaxC", "driveMaxC", "cpuUtilPct", "powerW"];

/**
 * Roll-ups in the DynamoDB store: buckets of raw telemetry per host (U#<bucketMs>#<bucketStartMs>), each written
 * once, with the progress per bucket size in the META partition so a rerun starts where the last one ended.
 */
export class DynamoRollups {
  constructor(private readonly table: DynamoTable) {}

  async rollUp(bucketMs: number, olderThanMs: number): Promise<RollUpResult> {
    if (!Number.isInteger(bucketMs) || bucketMs <= 0) throw new Error(`rollUp: bucketMs must be a positive integer, got ${bucketMs}`);
    const progress = await this.table.getItem(META_PK, rollupProgressSk(bucketMs));
    const fromMs = Number(progress?.["doneBeforeMs"] ?? 0);
    const toMs = olderThanMs - (((olderThanMs % bucketMs) + bucketMs) % bucketMs);
    if (toMs <= fromMs) return { buckets: 0, samples: 0, doneBeforeMs: fromMs };
    const range = timeBetween(PREFIX.rawTime, fromMs, toMs);
    let buckets = 0;
    let samples = 0;
    for (const host of await this.table.directory(DIRECTORY_PK)) {
      if (!range) break;
      const sums = new Map<number, RollupSums>();
      for (const item of await this.table.queryTime(host, range, { attributes: ROLLUP_ATTRIBUTES })) addToBucket(sums, bucketMs, item);
      await forEachLimited([...sums.values()], this.table.concurrency, async (bucket) => {
        try {
          // Conditional: a rerun after a failure between hosts and the progress mark writes nothing twice.
          await this.table.doc.send(new PutCommand({ TableName: this.table.name, Item: fromRollup(host, bucketMs, bucket), ConditionExpression: "attribute_not_exists(pk)" }));
          buckets++;
          samples += bucket.samples;
        } catch (err) {
          if (!isConditionFailure(err)) throw err;
        }
      });
    }
    await this.table.doc.send(new PutCommand({ TableName: this.table.name, Item: { pk: META_PK, sk: rollupProgressSk(bucketMs), doneBeforeMs: toMs } }));
    return { buckets, samples, doneBeforeMs: toMs };
  }

  async rollupRange(hostId: string, bucketMs: number, fromMs: number, toMs: number): Promise<TelemetryRollup[]> {
    const range = timeBetween(rollupSizePrefix(bucketMs), fromMs, toMs);
    if (!range) return [];
    return (await this.table.queryBase(hostId, range)).map(toRollup);
  }

  /**
   * Deletes the buckets of every size that ended at or before ms, host by host. A bucket's end is a key range only
   * once its size is fixed, so each host's sizes are found first, one single-key query per size (a skip scan);
   * the buckets that go are then read by key (keys only) and deleted in batches of 25. The progress items in META
   * stay, so rollUp never computes a deleted bucket again.
   */
  async deleteRollupsBefore(ms: number): Promise<number> {
    let deleted = 0;
    for (const host of await this.table.directory(DIRECTORY_PK)) {
      let bucketMs = await this.nextBucketSize(host, PREFIX.rollup);
      while (bucketMs !== undefined) {
        // bucketStartMs + bucketMs ≤ ms, for whole-millisecond starts: bucketStartMs < floor(ms − bucketMs) + 1.
        const range = timeBetween(rollupSizePrefix(bucketMs), 0, Math.floor(ms - bucketMs) + 1);
        if (range) deleted += await this.table.deletePages(host, range, undefined);
        // "~" sorts after every digit: the next key is the first of the next larger size.
        bucketMs = await this.nextBucketSize(host, `${rollupSizePrefix(bucketMs)}~`);
      }
    }
    return deleted;
  }

  /** The smallest bucket size of the host's roll-ups whose keys sort at or after `low`; undefined when none is left. */
  private async nextBucketSize(host: string, low: string): Promise<number | undefined> {
    const found: string[] = [];
    await this.table.queryPages(
      {
        KeyConditionExpression: "pk = :pk AND sk BETWEEN :low AND :high",
        ExpressionAttributeValues: { ":pk": hostPk(host), ":low": low, ":high": `${PREFIX.rollup}~` },
        ProjectionExpression: "sk",
      },
      (items) => {
        for (const item of items) found.push(String(item["sk"]));
        return found.length === 0;
      },
      1,
    );
    // U#<bucketMs>#<bucketStartMs>, both zero-padded.
    const sk = found[0];
    return sk === undefined ? undefined : Number(sk.slice(PREFIX.rollup.length).split("#")[0]);
  }
}
