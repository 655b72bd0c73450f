import { CoolfleetError, ErrorCode } from "../core/errors.js";
import { AGENT_CONFIG_VERSION } from "./agent-schema.js";
import { CONTROLLER_CONFIG_VERSION } from "./controller-schema.js";

/**
 * Versioned config files (zigbee2mqtt's settingsMigration, in small): each file says which `version` of the format
 * it is written in; older files are brought up to date in memory, one step at a time, before validation, with a
 * warning that tells the operator what to change. A file newer than this build is refused: guessing at a future
 * format could drive fans on a misread limit.
 */
export type ConfigKind = "agent" | "controller";

export type RawConfig = Record<string, unknown>;

export interface ConfigMigration {
  from: number;
  to: number;
  /** One line for operators: what changed in the format. */
  summary: string;
  /** Returns the migrated object; must not modify its argument. */
  migrate(raw: RawConfig): RawConfig;
}

/** Files without a `version` key predate versioning: the format they were written in is version 0. */
export const UNVERSIONED = 0;

const addVersionKey = (to: number): ConfigMigration => ({
  from: UNVERSIONED,
  to,
  summary: `no "version" key (written before config files were versioned); the format is otherwise that of version ${to}: add "version: ${to}"`,
  migrate: (raw) => ({ version: to, ...raw }),
});

/** In order; each step's `to` is the next step's `from`, ending at the current version. */
export const MIGRATIONS: Readonly<Record<ConfigKind, readonly ConfigMigration[]>> = {
  agent: [addVersionKey(1)],
  controller: [addVersionKey(1)],
};

export const CURRENT_VERSION: Readonly<Record<ConfigKind, number>> = {
  agent: AGENT_CONFIG_VERSION,
  controller: CONTROLLER_CONFIG_VERSION,
};

export interface MigrationPlan {
  /** The version the file says it is in (UNVERSIONED without a version key). */
  fromVersion: number;
  toVersion: number;
  steps: readonly ConfigMigration[];
}

/**
 * The steps that bring `raw` to `current`; none when it is current, not an object, or its version is not a whole
 * number (the schema then reports the version key). Throws ConfigInvalid for a newer version or a missing step.
 */
export function planMigrations(raw: unknown, kind: ConfigKind, source: string, current = CURRENT_VERSION[kind], migrations = MIGRATIONS[kind]): MigrationPlan {
  const none: MigrationPlan = { fromVersion: current, toVersion: current, steps: [] };
  if (!isRawConfig(raw)) return none;
  const version = "version" in raw ? raw["version"] : UNVERSIONED;
  if (typeof version !== "number" || !Number.isInteger(version)) return none;
  if (version > current) {
    throw new CoolfleetError(
      ErrorCode.ConfigInvalid,
      `${source}: invalid ${kind} config\n  version: ${version} is newer than this coolfleet understands (${kind} config version ${current}); ` +
        `upgrade coolfleet on this host, or write the file in version ${current} (coolfleet config example ${kind})`,
    );
  }
  const steps: ConfigMigration[] = [];
  for (let at = version; at < current; ) {
    const step = migrations.find((m) => m.from === at);
    if (!step || step.to <= at) {
      throw new CoolfleetError(
        ErrorCode.ConfigInvalid,
        `${source}: invalid ${kind} config\n  version: ${version} is too old to migrate (no step from version ${at}); rewrite the file in version ${current} (coolfleet config example ${kind})`,
      );
    }
    steps.push(step);
    at = step.to;
  }
  return { fromVersion: version, toVersion: current, steps };
}

export interface MigrationResult {
  raw: unknown;
  plan: MigrationPlan;
}

/** Applies the plan's steps in order; returns the migrated object (the input is left as it was). */
export function migrateConfig(raw: unknown, kind: ConfigKind, source: string, current?: number, migrations?: readonly ConfigMigration[]): MigrationResult {
  const plan = planMigrations(raw, kind, source, current, migrations);
  let migrated = raw;
  for (const step of plan.steps) migrated = step.migrate(migrated as RawConfig);
  return { raw: migrated, plan };
}

/** The warning an operator sees when a file was migrated in memory. */
export function migrationWarning(source: string, kind: ConfigKind, plan: MigrationPlan): string {
  const steps = plan.steps.map((s) => `${s.from} → ${s.to}: ${s.summary}`).join("; ");
  return `${source}: ${kind} config is in version ${plan.fromVersion}, migrated in memory to ${plan.toVersion} (${steps}); update the file to stop this warning`;
}

function isRawConfig(value: unknown): value is RawConfig {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
