import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ControllerConfig } from "../../config/controller-schema.js";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import { DynamoTelemetryStore } from "./dynamodb-telemetry-store.js";
import { SqliteTelemetryStore } from "./sqlite-telemetry-store.js";
import type { TelemetryStore } from "./telemetry-store.js";

type StoreConfig = ControllerConfig["store"];

/** The backend the config names, opened and ready; rejects naming the config key to fix. */
export async function openTelemetryStore(config: StoreConfig): Promise<TelemetryStore> {
  if (config.kind === "sqlite") return openSqlite(config.path);
  const dynamodb = config.dynamodb;
  if (dynamodb === undefined) throw new CoolfleetError(ErrorCode.ConfigInvalid, "store.dynamodb: is required with kind dynamodb");
  try {
    return await DynamoTelemetryStore.open({
      tableName: dynamodb.tableName,
      region: dynamodb.region,
      createTable: dynamodb.createTable,
      ...(dynamodb.endpoint !== undefined ? { endpoint: dynamodb.endpoint } : {}),
    });
  } catch (err) {
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `store.dynamodb: ${(err as Error).message}`, { cause: err });
  }
}

function openSqlite(path: string): SqliteTelemetryStore {
  if (path !== ":memory:") {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw new CoolfleetError(ErrorCode.ConfigInvalid, `store.path: cannot create the directory of ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  return new SqliteTelemetryStore(path);
}
