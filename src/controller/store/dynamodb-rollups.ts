import { PutCommand } from "@aws-sdk/lib-dynamodb";
import { forEachLimited } from "./dynamodb-batch.js";
import { addToBucket, fromRollup, toRollup, type RollupSums } from "./dynamodb-items.js";
import { DIRECTORY_PK, META_PK, pad, PREFIX, rollupProgressSk, timeBetween } from "./dynamodb-layout.js";
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
    const range = timeBetween(`${PREFIX.rollup}${pad(bucketMs)}#`, fromMs, toMs);
    if (!range) return [];
    return (await this.table.queryBase(hostId, range)).map(toRollup);
  }
}
