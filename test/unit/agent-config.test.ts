import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadAgentConfig, parseAgentConfigText, resolveHostId } from "../../src/config/load.js";
import { ErrorCode, isCoolfleetError } from "../../src/core/errors.js";

const MINIMAL = `
version: 1
hostId: node-1
temperatures:
  - { match: "coretemp.*:Package id *", role: cpu, targetC: 85, criticalC: 95, required: true }
fans: { chip: nct6798, channels: [1, 2] }
`;

function errorOf(text: string): string {
  try {
    parseAgentConfigText(text, "agent.yaml");
  } catch (err) {
    expect(isCoolfleetError(err, ErrorCode.ConfigInvalid)).toBe(true);
    return (err as Error).message;
  }
  throw new Error("config was accepted");
}

describe("agent config", () => {
  it("fills every default from the schema", () => {
    const config = parseAgentConfigText(MINIMAL, "agent.yaml");
    expect(config.periodMs).toBe(1000);
    expect(config.root).toBe("/");
    expect(config.broker.url).toBe("mqtt://127.0.0.1:1883");
    expect(config.broker.queueMax).toBe(3600);
    expect(config.fans.minPct).toBe(20);
    expect(config.fans.failsafePct).toBe(100);
    expect(config.plausibility.temperatureMaxC).toBe(125);
    expect(config.control.pid.kp).toBe(4);
    // No energy hints unless given: the planner then assumes the PowerEdge class.
    expect(config.fans.maxPowerW).toBeUndefined();
    expect(config.cpuLeakage).toBeUndefined();
    expect(parseAgentConfigText(MINIMAL + "cpuLeakage: { at85W: 24 }\n", "agent.yaml").cpuLeakage).toEqual({ at85W: 24, doublingK: 19 });
  });

  it.each([
    ["a key misspelt", MINIMAL.replace("periodMs", "x") + "peroidMs: 500\n", 'unknown key(s) "peroidMs"'],
    ["fan percentage out of range", MINIMAL.replace("channels: [1, 2] }", "channels: [1, 2], minPct: 120 }"), "fans.minPct: Too big"],
    ["critical below target", MINIMAL.replace("criticalC: 95", "criticalC: 80"), "temperatures[0].criticalC: must be above targetC (85); got 80"],
    [
      "a target where readings are out of range",
      MINIMAL + "plausibility: { temperatureMinC: 90 }\n",
      "temperatures[0].targetC: must be above plausibility.temperatureMinC (90), or every reading up to the target is discarded as out of range; got 85",
    ],
    ["an empty plausible range", MINIMAL + "plausibility: { temperatureMinC: 130, temperatureMaxC: 120 }\n", "plausibility.temperatureMinC: must be below temperatureMaxC (120); got 130"],
    [
      "critical where readings are out of range",
      MINIMAL.replace("criticalC: 95", "criticalC: 110") + "plausibility: { temperatureMaxC: 105 }\n",
      "temperatures[0].criticalC: must be below plausibility.temperatureMaxC (105), or a reading at the critical temperature is discarded as out of range; got 110",
    ],
    ["failsafe below the minimum", MINIMAL.replace("channels: [1, 2] }", "channels: [1, 2], failsafePct: 10 }"), "fans.failsafePct: must lie between minPct and maxPct"],
    ["a channel twice", MINIMAL.replace("[1, 2]", "[1, 1]"), "fans.channels: lists a channel twice"],
    ["wrong version", MINIMAL.replace("version: 1", "version: 7"), "version:"],
    ["no temperatures", MINIMAL.replace(/temperatures:\n.*\n/, ""), "temperatures:"],
    ["bad host id", MINIMAL.replace("node-1", "node/1"), "hostId:"],
    ["bad broker url", MINIMAL + "broker: { url: 'http://x' }\n", "broker.url:"],
    ["lease shorter than two periods", MINIMAL + "maxLeaseMs: 1000\n", "maxLeaseMs: must be at least two control periods"],
    [
      "readings stale before the IPMI loop's next round",
      MINIMAL + "ipmi: { interface: open, sweepPeriodMs: 5000 }\nplausibility: { staleAfterS: 5 }\n",
      "plausibility.staleAfterS: must be longer than ipmi.sweepPeriodMs (5000 ms), by more than one round takes, or those readings go stale between rounds; got 5 s",
    ],
    ["readings stale before a Modbus unit's next poll", MINIMAL + "modbus: [{ name: cdu, port: /dev/ttyUSB0, map: orv3-rpu, pollMs: 12000 }]\n", "plausibility.staleAfterS: must be longer than modbus[0].pollMs (12000 ms)"],
    ["not YAML", "version: [1\n", "not valid YAML"],
    ["fan watts of zero", MINIMAL.replace("channels: [1, 2] }", "channels: [1, 2], maxPowerW: 0 }"), "fans.maxPowerW:"],
    ["leakage without its watts", MINIMAL + "cpuLeakage: { doublingK: 19 }\n", "cpuLeakage.at85W:"],
    ["leakage with a key misspelt", MINIMAL + "cpuLeakage: { at85W: 52, doublingC: 19 }\n", 'unknown key(s) "doublingC"'],
  ])("rejects %s with a message naming the key", (_name, text, expected) => {
    const message = errorOf(text);
    expect(message).toContain("agent.yaml");
    expect(message).toContain(expected);
  });

  it("names the file when it cannot be read", () => {
    expect(() => loadAgentConfig("/nonexistent/agent.yaml")).toThrow(/\/nonexistent\/agent.yaml: cannot read config/);
  });

  it("accepts every shipped example", () => {
    for (const file of ["config/agent.sim.yaml", "config/agent.linux.yaml", "config/agent.macpro.yaml", "config/agent.poweredge-liquid.yaml"]) {
      expect(() => loadAgentConfig(file), file).not.toThrow();
    }
  });

  it("loads from a file and resolves the host id", () => {
    const dir = mkdtempSync(join(tmpdir(), "coolfleet-config-"));
    const file = join(dir, "agent.yaml");
    writeFileSync(file, MINIMAL);
    const config = loadAgentConfig(file);
    expect(resolveHostId(config)).toBe("node-1");
    expect(resolveHostId(config, "other-2")).toBe("other-2");
    expect(() => resolveHostId(config, "bad host")).toThrow(/not valid/);
    expect(readFileSync(file, "utf8")).toBe(MINIMAL);
  });
});
