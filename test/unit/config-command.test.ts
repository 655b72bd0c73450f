import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse } from "yaml";
import { validateConfigFile } from "../../src/cli/config-command.js";
import { parseAgentConfig, parseControllerConfig } from "../../src/config/load.js";
import { ErrorCode, isCoolfleetError, type ErrorCode as Code } from "../../src/core/errors.js";
import { renderConfigExample } from "../../src/ops/config-example.js";
import { detectConfigKind } from "../../src/ops/config-kind.js";

const dir = mkdtempSync(join(tmpdir(), "coolfleet-config-cmd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AGENT = `version: 1
temperatures:
  - { match: "coretemp.*:Package id *", role: cpu, targetC: 85, criticalC: 95, required: true }
fans: { chip: nct6798, channels: [1, 2] }
`;
const CONTROLLER = "version: 1\nbroker: { url: mqtt://broker:1883 }\nhttp: { port: 8080 }\n";

let fileCount = 0;
function file(text: string): string {
  const path = join(dir, `c${++fileCount}.yaml`);
  writeFileSync(path, text);
  return path;
}

function failure(path: string, kind?: "agent" | "controller"): { code: Code; message: string } {
  try {
    validateConfigFile(path, kind);
  } catch (err) {
    if (!isCoolfleetError(err)) throw err;
    return { code: err.code, message: err.message };
  }
  throw new Error(`${path} was accepted`);
}

describe("coolfleet config validate", () => {
  type Kind = "agent" | "controller";
  /** One broken file: what it is validated as (kindOption, else detected), and the line the error must contain. */
  const broken = (kind: Kind, name: string, text: string, expected: string, kindOption?: Kind) => [name, text, kindOption, kind, expected] as const;
  const agent = (name: string, text: string, expected: string, kindOption?: Kind) => broken("agent", name, text, expected, kindOption);
  const controller = (name: string, text: string, expected: string, kindOption?: Kind) => broken("controller", name, text, expected, kindOption);
  it.each([
    agent("a misspelt key", AGENT + "peroidMs: 500\n", '(top level): unknown key(s) "peroidMs"'),
    agent("a percentage out of range", AGENT.replace("channels: [1, 2] }", "channels: [1, 2], minPct: 120 }"), "fans.minPct: Too big: expected number to be <=100; got 120"),
    agent("a critical level below the target", AGENT.replace("criticalC: 95", "criticalC: 80"), "temperatures[0].criticalC: must be above targetC (85); got 80"),
    agent("a string where a number goes", AGENT + "periodMs: fast\n", 'periodMs: Invalid input: expected number, received string; got "fast"'),
    agent("a missing required group", AGENT.replace(/^fans.*\n/m, ""), "fans: Invalid input: expected object, received undefined; got nothing"),
    agent("an unknown sensor role", AGENT.replace("role: cpu", "role: gpu"), 'temperatures[0].role: Invalid option: expected one of "cpu"|"drive"|"inlet"|"exhaust"|"coolant"|"other"; got "gpu"'),
    agent("an http:// broker", AGENT + "broker: { url: 'http://broker' }\n", 'broker.url: an mqtt://, mqtts://, ws:// or wss:// URL; got "http://broker"'),
    agent("a failsafe below the minimum", AGENT.replace("channels: [1, 2] }", "channels: [1, 2], failsafePct: 10 }"), "fans.failsafePct: must lie between minPct and maxPct (20-100); got 10"),
    agent("a lease shorter than two periods", AGENT + "maxLeaseMs: 1000\n", "maxLeaseMs: must be at least two control periods (2000 ms); got 1000"),
    agent("a config from a newer coolfleet", AGENT.replace("version: 1", "version: 2"), "version: 2 is newer than this coolfleet understands (agent config version 1)"),
    controller("an unknown planner policy", CONTROLLER + "planner: { policy: b3 }\n", 'planner.policy: Invalid option: expected one of "b1"|"b2"|"mpc"; got "b3"'),
    controller("a port out of range", CONTROLLER.replace("8080", "70000"), "http.port: Too big: expected number to be <=65535; got 70000"),
    controller("a misspelt store key", CONTROLLER + "store: { pth: /tmp/x.db }\n", 'store: unknown key(s) "pth"'),
    controller("an agent file checked as a controller", AGENT, '(top level): unknown key(s) "temperatures", "fans"', "controller"),
    agent("an empty file checked as an agent", "", "(top level): Invalid input: expected object, received null; got null", "agent"),
  ])("rejects %s, naming the file, the key, what was expected and what was given", (_name, text, kindOption, kind, expected) => {
    const path = file(text);
    const { code, message } = failure(path, kindOption);
    expect(code).toBe(ErrorCode.ConfigInvalid);
    expect(message.split("\n")[0]).toBe(`${path}: invalid ${kind} config`);
    expect(message).toContain(`\n  ${expected}`);
  });

  it("reports every problem of a file at once", () => {
    const { message } = failure(file(CONTROLLER.replace("8080", "70000") + "planner: { policy: b3 }\n"));
    expect(message.split("\n")).toHaveLength(3);
  });

  it("says what is wrong with YAML that does not parse, and with a file it cannot read", () => {
    expect(failure(file("version: [1\n")).message).toMatch(/: not valid YAML: /);
    const unreadable = failure(join(dir, "missing.yaml"));
    expect(unreadable.code).toBe(ErrorCode.ConfigUnreadable);
    expect(unreadable.message).toMatch(/missing\.yaml: cannot read config: ENOENT/);
  });

  it("asks for --kind when the keys do not tell", () => {
    expect(failure(file("version: 1\nfans: { chip: x, channels: [1] }\nhttp: { port: 1 }\n")).message).toMatch(
      /cannot tell whether this is an agent or a controller config: it has agent keys \(fans\) and controller keys \(http\); pass --kind agent or --kind controller$/,
    );
    expect(failure(file("version: 1\nbroker: {}\n")).message).toMatch(/it has none of the agent keys \(hostId, .*\) or controller keys \(http, store, planner\)/);
  });

  it("accepts every shipped example in config/, detecting its kind", () => {
    const shipped = readdirSync("config").filter((f) => f.endsWith(".yaml"));
    expect(shipped.length).toBeGreaterThanOrEqual(3);
    for (const name of shipped) {
      const out = validateConfigFile(join("config", name));
      expect(out, name).toMatch(new RegExp(`^config/${name.replace(".", "\\.")}: valid (agent|controller) config \\(version 1\\)\\n`));
    }
    expect(validateConfigFile("config/controller.yaml")).toContain("valid controller config");
    expect(validateConfigFile("config/agent.sim.yaml")).toContain("host sim-000: fans: hwmon chip nct6798 channels [1, 2, 3, 4, 5, 6]");
  });

  it("says which migrations an older file needs", () => {
    const out = validateConfigFile(file(AGENT.replace("version: 1\n", "")));
    expect(out).toContain("valid agent config (version 1)");
    expect(out).toContain("written in version 0; 1 migration(s) apply in memory on every load until the file is updated:");
    expect(out).toContain('migration 0 → 1: no "version" key');
  });
});

describe("coolfleet config example", () => {
  it.each(["agent", "controller"] as const)("prints a %s config that validates as it is, with a comment for every key", (kind) => {
    const text = renderConfigExample(kind);
    const raw: unknown = parse(text);
    expect(() => (kind === "agent" ? parseAgentConfig(raw, "example") : parseControllerConfig(raw, "example"))).not.toThrow();
    expect(detectConfigKind(raw, "example")).toBe(kind);
    expect(validateConfigFile(file(text))).toContain(`valid ${kind} config`);
    // Defaults come from the schema, not from a copy.
    if (kind === "agent") {
      expect(text).toMatch(/\n# Control period[^\n]*\nperiodMs: 1000\n/);
      expect(text).toMatch(/\n {2}minPct: 20\n/);
      expect(text).toContain("# hostId: rack12-node07");
      expect(text).toMatch(/# pump:\n(?: {2}# .*\n)* {2}# chip: d5next/);
    } else {
      expect(text).toContain("  rollUpCron: \"*/5 * * * *\"");
    }
  });
});
