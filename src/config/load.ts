import { readFileSync } from "node:fs";
import { hostname } from "node:os";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import { isValidHostId } from "../protocol/index.js";
import { AgentConfig } from "./agent-schema.js";
import { ControllerConfig } from "./controller-schema.js";
import { migrateConfig, migrationWarning, type ConfigKind } from "./migrations.js";

/** One problem in a config file: where, and what was expected. */
export interface ConfigProblem {
  path: string;
  message: string;
}

function describeValue(value: unknown): string {
  if (value === undefined) return "nothing";
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let node: unknown = root;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

export function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), "");
}

function schemaProblems(error: z.ZodError, raw: unknown): ConfigProblem[] {
  return error.issues.map((issue) => {
    const path = formatPath(issue.path);
    if (issue.code === "unrecognized_keys") {
      return { path: path || "(top level)", message: `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(", ")}` };
    }
    return { path: path || "(top level)", message: `${issue.message}; got ${describeValue(valueAt(raw, issue.path))}` };
  });
}

/** Each driver needs its own keys, and the block of the bus it drives. */
function driverProblems(config: AgentConfig, name: "fans" | "pump", group: NonNullable<AgentConfig["pump"]>): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const needs = (ok: boolean, path: string, message: string): void => {
    if (!ok) problems.push({ path: `${name}.${path}`, message });
  };
  switch (group.driver) {
    case "hwmon":
      needs(group.chip !== undefined, "chip", "is required with driver hwmon (the hwmon chip name, see /sys/class/hwmon/hwmon*/name)");
      break;
    case "ipmi":
      needs(config.ipmi !== undefined, "driver", "ipmi needs an ipmi block (interface, and host/username/passwordFile for lanplus)");
      needs(name === "fans", "driver", "ipmi drives fans only");
      break;
    case "modbus": {
      const device = config.modbus?.find((d) => d.name === group.modbusDevice);
      needs(group.modbusDevice !== undefined, "modbusDevice", "is required with driver modbus (the name of a modbus[] device)");
      needs(group.modbusDevice === undefined || device !== undefined, "modbusDevice", `names no modbus[] device (have: ${config.modbus?.map((d) => d.name).join(", ") || "none"})`);
      break;
    }
    case "smc":
      needs(config.smc !== undefined, "driver", "smc needs an smc block (the helper's socketPath)");
      needs(name === "fans", "driver", "smc drives fans only");
      break;
  }
  if (group.driver !== "hwmon") needs(group.chip === undefined, "chip", `has no meaning with driver ${group.driver}`);
  return problems;
}

/** Checks that need more than one key at a time. */
function semanticProblems(config: AgentConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  config.temperatures.forEach((limit, i) => {
    if (limit.criticalC <= limit.targetC) {
      problems.push({ path: `temperatures[${i}].criticalC`, message: `must be above targetC (${limit.targetC}); got ${limit.criticalC}` });
    }
    if (limit.targetC <= config.plausibility.temperatureMinC) {
      problems.push({
        path: `temperatures[${i}].targetC`,
        message: `must be above plausibility.temperatureMinC (${config.plausibility.temperatureMinC}), or every reading up to the target is discarded as out of range; got ${limit.targetC}`,
      });
    }
    // Readings above temperatureMaxC are discarded as out of range: the critical response could never see one.
    if (limit.criticalC >= config.plausibility.temperatureMaxC) {
      problems.push({
        path: `temperatures[${i}].criticalC`,
        message: `must be below plausibility.temperatureMaxC (${config.plausibility.temperatureMaxC}), or a reading at the critical temperature is discarded as out of range; got ${limit.criticalC}`,
      });
    }
  });
  if (config.plausibility.temperatureMinC >= config.plausibility.temperatureMaxC) {
    problems.push({ path: "plausibility.temperatureMinC", message: `must be below temperatureMaxC (${config.plausibility.temperatureMaxC}); got ${config.plausibility.temperatureMinC}` });
  }
  for (const [name, group] of [["fans", config.fans], ["pump", config.pump]] as const) {
    if (!group) continue;
    problems.push(...driverProblems(config, name, group));
    if (group.minPct > group.maxPct) problems.push({ path: `${name}.minPct`, message: `must not exceed maxPct (${group.maxPct}); got ${group.minPct}` });
    if (group.failsafePct < group.minPct || group.failsafePct > group.maxPct) {
      problems.push({ path: `${name}.failsafePct`, message: `must lie between minPct and maxPct (${group.minPct}-${group.maxPct}); got ${group.failsafePct}` });
    }
    if (new Set(group.channels).size !== group.channels.length) problems.push({ path: `${name}.channels`, message: "lists a channel twice" });
  }
  if (config.broker.reconnectMinMs > config.broker.reconnectMaxMs) {
    problems.push({ path: "broker.reconnectMinMs", message: `must not exceed reconnectMaxMs (${config.broker.reconnectMaxMs})` });
  }
  if (config.maxLeaseMs < 2 * config.periodMs) {
    problems.push({ path: "maxLeaseMs", message: `must be at least two control periods (${2 * config.periodMs} ms); got ${config.maxLeaseMs}` });
  }
  problems.push(...stalenessProblems(config));
  return problems;
}

/**
 * A slow loop's readings carry the time its round started and are next replaced a period plus a round later. A
 * period at or past staleAfterS makes every one of them stale before the next round, every time: required sensors
 * among them would hold the outputs at failsafe.
 */
function stalenessProblems(config: AgentConfig): ConfigProblem[] {
  const loops: [string, number][] = [];
  if (config.ipmi) loops.push(["ipmi.sweepPeriodMs", config.ipmi.sweepPeriodMs]);
  config.modbus?.forEach((device, i) => loops.push([`modbus[${i}].pollMs`, device.pollMs]));
  if (config.smc) loops.push(["smc.pollMs", config.smc.pollMs]);
  if (config.sysinfo) loops.push(["sysinfo.pollMs", config.sysinfo.pollMs]);
  const staleAfterMs = config.plausibility.staleAfterS * 1000;
  return loops
    .filter(([, periodMs]) => periodMs >= staleAfterMs)
    .map(([key, periodMs]) => ({
      path: "plausibility.staleAfterS",
      message: `must be longer than ${key} (${periodMs} ms), by more than one round takes, or those readings go stale between rounds; got ${config.plausibility.staleAfterS} s`,
    }));
}

function fail(source: string, kind: string, problems: ConfigProblem[]): never {
  const lines = problems.map((p) => `  ${p.path}: ${p.message}`).join("\n");
  throw new CoolfleetError(ErrorCode.ConfigInvalid, `${source}: invalid ${kind} config\n${lines}`);
}

export interface ConfigLoadOptions {
  /** Told when an older file was migrated in memory (default: a process warning on stderr). */
  onWarning?: (message: string) => void;
}

function warnOnStderr(message: string): void {
  process.emitWarning(message, { type: "ConfigMigrationWarning" });
}

/** Migrations to the current version, then schema, then the checks that need several keys at once (zigbee2mqtt's layers). */
function parseWith<T>(schema: z.ZodType<T>, semantic: (config: T) => ConfigProblem[], kind: ConfigKind, input: unknown, source: string, options: ConfigLoadOptions = {}): T {
  const { raw, plan } = migrateConfig(input, kind, source);
  if (plan.steps.length > 0) (options.onWarning ?? warnOnStderr)(migrationWarning(source, kind, plan));
  const parsed = schema.safeParse(raw);
  if (!parsed.success) fail(source, kind, schemaProblems(parsed.error, raw));
  const problems = semantic(parsed.data);
  if (problems.length > 0) fail(source, kind, problems);
  return parsed.data;
}

function parseYaml(text: string, source: string): unknown {
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const first = doc.errors[0];
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `${source}: not valid YAML: ${first?.message ?? "parse error"}`);
  }
  try {
    return doc.toJS();
  } catch (err) {
    // Unresolved aliases and alias bombs only show when the document is turned into values.
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `${source}: not valid YAML: ${(err as Error).message}`, { cause: err });
  }
}

function readConfigFile(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (err) {
    throw new CoolfleetError(ErrorCode.ConfigUnreadable, `${file}: cannot read config: ${(err as Error).message}`, { cause: err });
  }
}

/** A config file as a plain object, before migration and validation (`coolfleet config validate`). */
export function readConfigObject(file: string): unknown {
  return parseYaml(readConfigFile(file), file);
}

/** Validates an already-parsed config object; `source` names it in errors. */
export function parseAgentConfig(raw: unknown, source: string, options?: ConfigLoadOptions): AgentConfig {
  return parseWith(AgentConfig, semanticProblems, "agent", raw, source, options);
}

export function parseAgentConfigText(text: string, source: string, options?: ConfigLoadOptions): AgentConfig {
  return parseAgentConfig(parseYaml(text, source), source, options);
}

export function loadAgentConfig(file: string, options?: ConfigLoadOptions): AgentConfig {
  return parseAgentConfigText(readConfigFile(file), file, options);
}

/** The store block must match its kind: dynamodb needs its table, and a table block beside SQLite is a mistake. */
function controllerProblems(config: ControllerConfig): ConfigProblem[] {
  const { kind, dynamodb } = config.store;
  if (kind === "dynamodb" && dynamodb === undefined) {
    return [{ path: "store.dynamodb", message: "is required with kind dynamodb (at least region; tableName defaults to coolfleet)" }];
  }
  if (kind === "sqlite" && dynamodb !== undefined) return [{ path: "store.dynamodb", message: "has no meaning with kind sqlite; set kind: dynamodb or remove the block" }];
  return [];
}

export function parseControllerConfig(raw: unknown, source: string, options?: ConfigLoadOptions): ControllerConfig {
  return parseWith(ControllerConfig, controllerProblems, "controller", raw, source, options);
}

export function loadControllerConfig(file: string, options?: ConfigLoadOptions): ControllerConfig {
  return parseControllerConfig(readConfigObject(file), file, options);
}

/** The host id from config, else the machine's hostname; rejects names that cannot be a topic level. */
export function resolveHostId(config: AgentConfig, override?: string): string {
  const hostId = override ?? config.hostId ?? hostname().split(".")[0] ?? "";
  if (!isValidHostId(hostId)) {
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `host id "${hostId}" is not valid: set hostId in the config or pass --host-id (1-64 of A-Z a-z 0-9 . _ -)`);
  }
  return hostId;
}
