import { DynamoStoreConfig } from "../config/controller-schema.js";
import type { TelemetryStore } from "../controller/store/telemetry-store.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";

/** Where `coolfleet model train` reads a controller's telemetry: its SQLite file or its DynamoDB table. */
export interface TrainingStoreOptions {
  store?: string;
  dynamodbTable?: string;
  dynamodbRegion?: string;
  dynamodbEndpoint?: string;
}

export interface TrainingStore {
  /** Names the data in the model's provenance and in messages: `store:<file>` or `dynamodb:<table>`. */
  label: string;
  open(): Promise<TelemetryStore>;
}

const usage = (message: string): CoolfleetError => new CoolfleetError(ErrorCode.UsageInvalid, message);

const FLAG_OF: Record<string, string> = { region: "--dynamodb-region", tableName: "--dynamodb-table", endpoint: "--dynamodb-endpoint" };

/**
 * The store the options name, checked but not opened; undefined when they name none. A DynamoDB table is read as it
 * is (never created): training from a table that does not exist is a mistake in its name or region.
 */
export function trainingStore(raw: TrainingStoreOptions): TrainingStore | undefined {
  const dynamo = raw.dynamodbTable !== undefined;
  if (!dynamo && (raw.dynamodbRegion !== undefined || raw.dynamodbEndpoint !== undefined)) throw usage("--dynamodb-region and --dynamodb-endpoint go with --dynamodb-table");
  if (dynamo && raw.store !== undefined) throw usage("--store and --dynamodb-table exclude each other: train on a SQLite store or on a DynamoDB table");
  if (raw.store !== undefined) {
    const path = raw.store;
    return {
      label: `store:${path}`,
      open: async () => {
        const { SqliteTelemetryStore } = await import("../controller/store/sqlite-telemetry-store.js");
        return new SqliteTelemetryStore(path);
      },
    };
  }
  if (!dynamo) return undefined;
  if (raw.dynamodbRegion === undefined) throw usage("--dynamodb-table needs --dynamodb-region: the table's AWS region (store.dynamodb.region in the controller's config)");
  const parsed = DynamoStoreConfig.safeParse({
    tableName: raw.dynamodbTable,
    region: raw.dynamodbRegion,
    ...(raw.dynamodbEndpoint !== undefined ? { endpoint: raw.dynamodbEndpoint } : {}),
    createTable: false,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw usage(`${FLAG_OF[String(issue?.path[0])] ?? "--dynamodb-table"}: ${issue?.message ?? "invalid"}`);
  }
  const table = parsed.data;
  return {
    label: `dynamodb:${table.tableName}`,
    open: async () => {
      const { DynamoTelemetryStore } = await import("../controller/store/dynamodb-telemetry-store.js");
      try {
        return await DynamoTelemetryStore.open({ tableName: table.tableName, region: table.region, createTable: false, ...(table.endpoint !== undefined ? { endpoint: table.endpoint } : {}) });
      } catch (err) {
        // Credentials come from the SDK's default chain, as for the controller (docs/storage.md).
        throw new CoolfleetError(ErrorCode.ConfigInvalid, `--dynamodb-table: ${(err as Error).message}`, { cause: err });
      }
    },
  };
}
