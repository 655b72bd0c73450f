import { describe, expect, it } from "vitest";
import { parseAgentConfig, parseControllerConfig } from "../../src/config/load.js";
import { CURRENT_VERSION, MIGRATIONS, migrateConfig, migrationWarning, planMigrations, type ConfigMigration } from "../../src/config/migrations.js";
import { ErrorCode, isCoolfleetError } from "../../src/core/errors.js";

const AGENT_V1 = {
  version: 1,
  temperatures: [{ match: "coretemp.*:Package id *", role: "cpu", targetC: 85, criticalC: 95 }],
  fans: { chip: "nct6798", channels: [1] },
};

/** A made-up history for the engine: v1 had `fanChip`, v2 nested it under `fans`, v3 renamed `period` to `periodMs`. */
const HISTORY: ConfigMigration[] = [
  { from: 1, to: 2, summary: "fanChip moved to fans.chip", migrate: ({ fanChip, ...rest }) => ({ ...rest, version: 2, fans: { chip: fanChip } }) },
  { from: 2, to: 3, summary: "period renamed periodMs", migrate: ({ period, ...rest }) => ({ ...rest, version: 3, periodMs: period }) },
];

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(isCoolfleetError(err, ErrorCode.ConfigInvalid)).toBe(true);
    return (err as Error).message;
  }
  throw new Error("accepted");
}

describe("config migrations", () => {
  it("chain from every older version to the current one, in order", () => {
    for (const kind of ["agent", "controller"] as const) {
      let at = MIGRATIONS[kind][0]?.from ?? CURRENT_VERSION[kind];
      for (const step of MIGRATIONS[kind]) {
        expect(step.from, `${kind} ${step.summary}`).toBe(at);
        expect(step.to).toBeGreaterThan(step.from);
        at = step.to;
      }
      expect(at).toBe(CURRENT_VERSION[kind]);
    }
  });

  it("a current file needs none", () => {
    expect(planMigrations(AGENT_V1, "agent", "a.yaml").steps).toEqual([]);
  });

  it("applies the steps in order, leaving the input as it was", () => {
    const raw = { version: 1, fanChip: "nct6798", period: 500 };
    const { raw: migrated, plan } = migrateConfig(raw, "agent", "a.yaml", 3, HISTORY);
    expect(migrated).toEqual({ version: 3, fans: { chip: "nct6798" }, periodMs: 500 });
    expect(plan).toMatchObject({ fromVersion: 1, toVersion: 3 });
    expect(plan.steps.map((s) => s.summary)).toEqual(["fanChip moved to fans.chip", "period renamed periodMs"]);
    expect(raw).toEqual({ version: 1, fanChip: "nct6798", period: 500 });
    expect(migrateConfig({ version: 2, fans: { chip: "x" }, period: 1 }, "agent", "a.yaml", 3, HISTORY).plan.steps).toHaveLength(1);
  });

  it("refuses a file newer than this build, naming the file, the versions and what to do", () => {
    const message = errorOf(() => planMigrations({ ...AGENT_V1, version: 2 }, "agent", "/etc/coolfleet/agent.yaml"));
    expect(message).toBe(
      "/etc/coolfleet/agent.yaml: invalid agent config\n  version: 2 is newer than this coolfleet understands (agent config version 1); upgrade coolfleet on this host, or write the file in version 1 (coolfleet config example agent)",
    );
    expect(errorOf(() => parseAgentConfig({ ...AGENT_V1, version: 7 }, "agent.yaml"))).toMatch(/^agent\.yaml: invalid agent config\n {2}version: 7 is newer/);
  });

  it("refuses a version with no way forward", () => {
    expect(errorOf(() => planMigrations({ version: -3 }, "controller", "c.yaml"))).toContain("version: -3 is too old to migrate (no step from version -3)");
  });

  it("leaves a version that is not a whole number to the schema, which names it", () => {
    expect(planMigrations({ ...AGENT_V1, version: "1" }, "agent", "a.yaml").steps).toEqual([]);
    expect(errorOf(() => parseAgentConfig({ ...AGENT_V1, version: "1" }, "a.yaml"))).toMatch(/version: .*; got "1"/);
  });

  it("an unversioned file (version 0) loads as version 1, with one warning saying what to change", () => {
    const { version: _, ...unversioned } = AGENT_V1;
    const warnings: string[] = [];
    const config = parseAgentConfig(unversioned, "old.yaml", { onWarning: (m) => warnings.push(m) });
    expect(config.version).toBe(1);
    expect(warnings).toEqual([
      'old.yaml: agent config is in version 0, migrated in memory to 1 (0 → 1: no "version" key (written before config files were versioned); the format is otherwise that of version 1: add "version: 1"); update the file to stop this warning',
    ]);
    expect(parseControllerConfig({}, "c.yaml", { onWarning: (m) => warnings.push(m) }).version).toBe(1);
    expect(warnings).toHaveLength(2);
  });

  it("words the warning with every step", () => {
    const plan = planMigrations({ version: 1 }, "agent", "a.yaml", 3, HISTORY);
    expect(migrationWarning("a.yaml", "agent", plan)).toBe(
      "a.yaml: agent config is in version 1, migrated in memory to 3 (1 → 2: fanChip moved to fans.chip; 2 → 3: period renamed periodMs); update the file to stop this warning",
    );
  });
});
