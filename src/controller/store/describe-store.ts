import type { ControllerConfig } from "../../config/controller-schema.js";

/** Where the store keeps its data, for the start-up line and `config validate`. */
export function describeStore(config: ControllerConfig["store"]): string {
  if (config.kind === "sqlite" || config.dynamodb === undefined) return config.path;
  const { tableName, region, endpoint } = config.dynamodb;
  return `dynamodb ${tableName} (${region}${endpoint !== undefined ? ` at ${endpoint}` : ""})`;
}
