import { setTimeout as sleep } from "node:timers/promises";
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createTableInput, layoutMismatch } from "./dynamodb-layout.js";
import type { DynamoStoreOptions } from "./dynamodb-telemetry-store.js";

/**
 * Opening the DynamoDB store: the client, and the table checked against the layout (created first when
 * createTable is set). A table that cannot be used is a rejection naming the table and what to do.
 */
export async function connectTable(options: DynamoStoreOptions): Promise<DynamoDBClient> {
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
  return client;
}

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
