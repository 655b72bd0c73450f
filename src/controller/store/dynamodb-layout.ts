import type { CreateTableCommandInput, TableDescription } from "@aws-sdk/client-dynamodb";

/**
 * The single-table layout of the DynamoDB store (docs/storage.md, "DynamoDB backend"). Every item of a host shares
 * the partition key H#<host>, so each per-host query reads one partition in key order; the local secondary index
 * byTime orders the items that need a second order (telemetry by ts, commands by send time, unmatched acks by
 * arrival). Numbers in sort keys are zero-padded to 16 digits (Number.MAX_SAFE_INTEGER has 16), so string order is
 * numeric order. Boot and command ids are URI-encoded in keys, so a "#" in them cannot run into the next field.
 */
export const TIME_INDEX = "byTime";

export const KEY = { partition: "pk", sort: "sk", time: "lk" } as const;

export const HOST_SK = "#HOST";
export const DIRECTORY_PK = "HOSTS";
export const META_PK = "META";

export const PREFIX = {
  raw: "R#",
  rawTime: "T#",
  features: "F#",
  command: "C#",
  commandTime: "C#",
  ack: "A#",
  orphanAckTime: "O#",
  transition: "X#",
  rollup: "U#",
  rollupProgress: "ROLLUP#",
} as const;

const DIGITS = 16;

/** A millisecond count (or other non-negative integer) as a fixed-width key part. */
export function pad(n: number): string {
  const clamped = Math.min(Math.max(Math.trunc(n), 0), Number.MAX_SAFE_INTEGER);
  return String(clamped).padStart(DIGITS, "0");
}

export const hostPk = (hostId: string): string => `H#${hostId}`;
export const hostIdOfPk = (pk: string): string => pk.slice(2);
export const rawSk = (boot: string, seq: number): string => `${PREFIX.raw}${encodeURIComponent(boot)}#${seq}`;
export const featuresSk = (windowStartMs: number): string => `${PREFIX.features}${pad(windowStartMs)}`;
export const commandSk = (cmdId: string): string => `${PREFIX.command}${encodeURIComponent(cmdId)}`;
export const acksOfCommandPrefix = (cmdId: string): string => `${PREFIX.ack}${encodeURIComponent(cmdId)}#`;
/** The sort-key prefix every roll-up bucket of one bucket size shares. */
export const rollupSizePrefix = (bucketMs: number): string => `${PREFIX.rollup}${pad(bucketMs)}#`;
export const rollupSk = (bucketMs: number, bucketStartMs: number): string => `${rollupSizePrefix(bucketMs)}${pad(bucketStartMs)}`;
export const rollupProgressSk = (bucketMs: number): string => `${PREFIX.rollupProgress}${pad(bucketMs)}`;

/**
 * Key bounds for fromMs ≤ t < toMs over keys `prefix + pad(t)` (+ anything after), as an inclusive BETWEEN;
 * undefined when the range is empty. Times before the epoch clamp to 0: no stored time is negative.
 */
export function timeBetween(prefix: string, fromMs: number, toMs: number): { low: string; high: string } | undefined {
  const from = Math.max(Math.ceil(fromMs), 0);
  const last = Math.min(Math.ceil(toMs) - 1, Number.MAX_SAFE_INTEGER);
  if (last < from) return undefined;
  // "~" sorts after every digit and "#": the high bound includes any suffix of the last millisecond.
  return { low: `${prefix}${pad(from)}`, high: `${prefix}${pad(last)}~` };
}

export function createTableInput(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    AttributeDefinitions: [
      { AttributeName: KEY.partition, AttributeType: "S" },
      { AttributeName: KEY.sort, AttributeType: "S" },
      { AttributeName: KEY.time, AttributeType: "S" },
    ],
    KeySchema: [
      { AttributeName: KEY.partition, KeyType: "HASH" },
      { AttributeName: KEY.sort, KeyType: "RANGE" },
    ],
    LocalSecondaryIndexes: [
      {
        IndexName: TIME_INDEX,
        KeySchema: [
          { AttributeName: KEY.partition, KeyType: "HASH" },
          { AttributeName: KEY.time, KeyType: "RANGE" },
        ],
        Projection: { ProjectionType: "ALL" },
      },
    ],
    BillingMode: "PAY_PER_REQUEST",
  };
}

/** What is wrong with an existing table for this layout, or undefined when it fits. */
export function layoutMismatch(table: TableDescription): string | undefined {
  const keys = (table.KeySchema ?? []).map((k) => `${k.AttributeName ?? "?"}:${k.KeyType ?? "?"}`).join(",");
  if (keys !== `${KEY.partition}:HASH,${KEY.sort}:RANGE`) return `its key schema is ${keys || "empty"}, expected ${KEY.partition} (HASH), ${KEY.sort} (RANGE)`;
  const index = table.LocalSecondaryIndexes?.find((i) => i.IndexName === TIME_INDEX);
  const indexKeys = (index?.KeySchema ?? []).map((k) => `${k.AttributeName ?? "?"}:${k.KeyType ?? "?"}`).join(",");
  if (indexKeys !== `${KEY.partition}:HASH,${KEY.time}:RANGE` || index?.Projection?.ProjectionType !== "ALL") {
    return `it lacks the local secondary index ${TIME_INDEX} on (${KEY.partition}, ${KEY.time}) projecting ALL`;
  }
  return undefined;
}
