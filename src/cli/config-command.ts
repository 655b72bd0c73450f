import type { Command } from "commander";
import { describeActuatorGroup } from "../config/describe-group.js";
import type { AgentConfig } from "../config/agent-schema.js";
import type { ControllerConfig } from "../config/controller-schema.js";
import { parseAgentConfig, parseControllerConfig, readConfigObject } from "../config/load.js";
import { describeStore } from "../controller/store/describe-store.js";
import { planMigrations, type ConfigKind, type MigrationPlan } from "../config/migrations.js";
import { renderConfigExample } from "../ops/config-example.js";
import { detectConfigKind, parseConfigKind } from "../ops/config-kind.js";

interface ValidateOptions {
  kind?: string;
}

export function registerConfigCommand(program: Command): void {
  const config = program.command("config").description("check config files, and write commented examples generated from the schema");
  config
    .command("validate")
    .description("validate an agent or controller config (kind detected from its keys); says which migrations an older file needs. Exit 0 valid, 2 invalid")
    .argument("<file>", "config file (YAML)")
    .option("--kind <kind>", "agent or controller (default: detected from the keys)")
    .action((file: string, opts: ValidateOptions) => {
      process.stdout.write(validateConfigFile(file, opts.kind === undefined ? undefined : parseConfigKind(opts.kind)));
    });
  config
    .command("example")
    .description("print a commented config with every key, its default and its meaning, generated from the schema")
    .argument("<kind>", "agent or controller")
    .action((kind: string) => {
      process.stdout.write(renderConfigExample(parseConfigKind(kind)));
    });
}

/**
 * Validates one file the way the agent or controller would load it, and returns what to print. Problems throw
 * CoolfleetError(ConfigInvalid) naming the file, the key, what was expected and what was given.
 */
export function validateConfigFile(file: string, kindOption?: ConfigKind): string {
  const raw = readConfigObject(file);
  const kind = kindOption ?? detectConfigKind(raw, file);
  const plan = planMigrations(raw, kind, file);
  // The migration is reported below, once, instead of as a warning.
  const quiet = { onWarning: () => undefined };
  const summary = kind === "agent" ? describeAgent(parseAgentConfig(raw, file, quiet)) : describeController(parseControllerConfig(raw, file, quiet));
  return `${file}: valid ${kind} config (version ${plan.toVersion})\n${migrationLines(plan)}  ${summary}\n`;
}

function migrationLines(plan: MigrationPlan): string {
  if (plan.steps.length === 0) return "";
  const steps = plan.steps.map((s) => `  migration ${s.from} → ${s.to}: ${s.summary}\n`).join("");
  return `  written in version ${plan.fromVersion}; ${plan.steps.length} migration(s) apply in memory on every load until the file is updated:\n${steps}`;
}

function describeAgent(config: AgentConfig): string {
  const required = config.temperatures.filter((t) => t.required).length;
  const pump = config.pump ? `, pump: ${describeActuatorGroup(config.pump)}` : "";
  return (
    `host ${config.hostId ?? "(the hostname)"}: fans: ${describeActuatorGroup(config.fans)}${pump}; ` +
    `${config.temperatures.length} temperature limit(s), ${required} required; period ${config.periodMs} ms; broker ${config.broker.url}`
  );
}

function describeController(config: ControllerConfig): string {
  return `broker ${config.broker.url} as ${config.broker.clientId}; HTTP ${config.http.host}:${config.http.port}; store ${describeStore(config.store)}; policy ${config.planner.policy} every ${config.planner.periodMs} ms`;
}
