import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, QueryCommand, type QueryCommandInput } from "@aws-sdk/lib-dynamodb";
import { BATCH_WRITE_MAX_ITEMS, sendAllWithRetry, type BackoffPolicy } from "./dynamodb-batch.js";
import type { Item } from "./dynamodb-items.js";
import { hostPk, TIME_INDEX } from "./dynamodb-layout.js";

/** The open upper end of a time range: every stored time is below it. */
export const TIME_ALL = Number.MAX_SAFE_INTEGER;

const CONDITION_FAILED = "ConditionalCheckFailedException";

/** Whether a write was refused by its ConditionExpression (the item was not as the write expected). */
export function isConditionFailure(err: unknown): boolean {
  return err instanceof Error && err.name === CONDITION_FAILED;
}

export type BatchRequest = { PutRequest: { Item: Item } } | { DeleteRequest: { Key: Item } };

/**
 * The store's one table through the document client (layout in dynamodb-layout.ts), and the reads and batch
 * writes every part of the store shares: strongly consistent gets and queries page by page, the directory
 * partitions, counting and deleting what a query finds, and batch writes that re-send what comes back unprocessed.
 */
export class DynamoTable {
  readonly doc: DynamoDBDocumentClient;

  constructor(
    client: DynamoDBClient,
    readonly name: string,
    readonly backoff: BackoffPolicy,
    /** Requests one method keeps in flight at once. */
    readonly concurrency: number,
  ) {
    this.doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  }

  async getItem(pk: string, sk: string): Promise<Item | undefined> {
    const out = await this.doc.send(new GetCommand({ TableName: this.name, Key: { pk, sk }, ConsistentRead: true }));
    return out.Item;
  }

  /** Host ids in a directory partition, sorted (the sort key order). */
  async directory(pk: string): Promise<string[]> {
    const ids: string[] = [];
    await this.queryPages({ KeyConditionExpression: "pk = :pk", ExpressionAttributeValues: { ":pk": pk }, ProjectionExpression: "sk" }, (items) => {
      for (const item of items) ids.push(String(item["sk"]));
      return true;
    });
    return ids;
  }

  async queryBase(hostId: string, range: { low: string; high: string }): Promise<Item[]> {
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

  async queryTime(hostId: string, range: { low: string; high: string }, opts: { limit?: number; attributes?: string[] } = {}): Promise<Item[]> {
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

  async countTime(hostId: string, range: { low: string; high: string }): Promise<number> {
    let count = 0;
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.name,
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
  async queryPages(input: Omit<QueryCommandInput, "TableName">, onPage: (items: Item[]) => boolean | Promise<boolean>, limit?: number): Promise<void> {
    let start: Record<string, unknown> | undefined;
    let seen = 0;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          ...input,
          TableName: this.name,
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
  async deletePages(hostId: string, range: { low: string; high: string }, index: string | undefined, filter?: { expression: string; names: Record<string, string>; values: Item }): Promise<number> {
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

  async batchWrite(operation: string, requests: readonly BatchRequest[]): Promise<void> {
    await sendAllWithRetry(`${operation} BatchWriteItem`, requests, BATCH_WRITE_MAX_ITEMS, async (batch) => {
      const out = await this.doc.send(new BatchWriteCommand({ RequestItems: { [this.name]: batch } }));
      return (out.UnprocessedItems?.[this.name] ?? []) as BatchRequest[];
    }, this.backoff);
  }
}
