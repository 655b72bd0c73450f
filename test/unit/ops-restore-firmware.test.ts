import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { parseAgentConfig } from "../../src/config/load.js";
import type { AgentConfig } from "../../src/config/agent-schema.js";
import { firmwareModesFile, readChannelModes, readFirmwareModes, recordFirmwareModes } from "../../src/ops/firmware-modes.js";
import { restoreFirmwareAutomatic } from "../../src/ops/restore-firmware.js";
import { FakeRoot } from "../fixtures/sysfs/fake-root.js";
import { addHwmonChip } from "../fixtures/sysfs/hwmon-chip.js";
import { applesmc, coretemp, d5next, nct6798 } from "../fixtures/sysfs/hwmon-presets.js";

const NCT = "/sys/devices/platform/nct6775.656/hwmon/hwmon2";
const SMC = "/sys/devices/platform/applesmc.768";

const roots: FakeRoot[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) root.cleanup();
});

function server(pwmEnable: number): FakeRoot {
  const root = new FakeRoot();
  roots.push(root);
  addHwmonChip(root, coretemp(0, 0, 50, [48, 49]));
  addHwmonChip(root, nct6798(2, { pwmDuty: [128, 90, 200], pwmEnable }));
  return root;
}

function config(root: FakeRoot, extra: Record<string, unknown> = {}): AgentConfig {
  return parseAgentConfig(
    {
      version: 1,
      hostId: "t1",
      root: root.dir,
      temperatures: [{ match: "coretemp.*:Package id *", role: "cpu", targetC: 80, criticalC: 90 }],
      fans: { chip: "nct6798", channels: [1, 3] },
      ...extra,
    },
    "test",
  );
}

const trim = (s: string): string => s.trim();

describe("restoreFirmwareAutomatic", () => {
  it("with nothing recorded, sets pwm_enable to 2 on every configured channel and leaves the rest alone", () => {
    const root = server(1);
    const report = restoreFirmwareAutomatic({ config: config(root), record: undefined });
    expect(report.problems).toEqual([]);
    expect([1, 2, 3].map((n) => trim(root.read(`${NCT}/pwm${n}_enable`)))).toEqual(["2", "1", "2"]);
    expect(report.writes.map((w) => [w.file.endsWith("pwm1_enable"), w.from, w.to, w.reason])[0]).toEqual([true, "1", "2", "automatic-default"]);
    // The duty is not touched without a record: the chip's automatic mode drives it.
    expect(trim(root.read(`${NCT}/pwm1`))).toBe("128");
  });

  it("puts back the recorded automatic mode and duty (Smart Fan IV = 5)", () => {
    const root = server(5);
    const cfg = config(root);
    const file = join(root.dir, "firmware-modes.json");
    recordFirmwareModes(file, readChannelModes(cfg), 1000);
    // What an agent does, then dies: manual mode at its own duty.
    for (const n of [1, 3]) {
      root.write(`${NCT}/pwm${n}_enable`, "1");
      root.write(`${NCT}/pwm${n}`, "250");
    }
    const report = restoreFirmwareAutomatic({ config: cfg, record: readFirmwareModes(file) });
    expect(report.problems).toEqual([]);
    expect([1, 3].map((n) => trim(root.read(`${NCT}/pwm${n}_enable`)))).toEqual(["5", "5"]);
    expect([1, 3].map((n) => trim(root.read(`${NCT}/pwm${n}`)))).toEqual(["128", "200"]);
    // Duty written before the mode, while the channel was still manual.
    const pwm1 = report.writes.findIndex((w) => w.file.endsWith("/pwm1"));
    const enable1 = report.writes.findIndex((w) => w.file.endsWith("/pwm1_enable"));
    expect(pwm1).toBeGreaterThanOrEqual(0);
    expect(pwm1).toBeLessThan(enable1);
  });

  it("never restores 'manual': a recorded 1 falls back to the automatic default", () => {
    const root = server(1);
    const cfg = config(root);
    const file = join(root.dir, "firmware-modes.json");
    recordFirmwareModes(file, readChannelModes(cfg), 1000);
    restoreFirmwareAutomatic({ config: cfg, record: readFirmwareModes(file) });
    expect(trim(root.read(`${NCT}/pwm1_enable`))).toBe("2");
  });

  it("a new record keeps the earlier automatic mode of a channel found in manual (a crash without ExecStopPost)", () => {
    const root = server(5);
    const cfg = config(root);
    const file = join(root.dir, "firmware-modes.json");
    recordFirmwareModes(file, readChannelModes(cfg), 1000);
    root.write(`${NCT}/pwm1_enable`, "1");
    const second = recordFirmwareModes(file, readChannelModes(cfg), 2000);
    expect(second.channels.map((c) => c.enable)).toEqual(["5", "5"]);
    expect(readFirmwareModes(file)?.recordedAtMs).toBe(2000);
  });

  it("hands back the recorded channels when the config is gone, and channels the config no longer names", () => {
    const root = server(2);
    const cfg = config(root);
    const file = join(root.dir, "firmware-modes.json");
    recordFirmwareModes(file, readChannelModes(cfg), 1000);
    for (const n of [1, 3]) root.write(`${NCT}/pwm${n}_enable`, "1");
    expect(restoreFirmwareAutomatic({ config: undefined, record: readFirmwareModes(file) }).problems).toEqual([]);
    expect([1, 3].map((n) => trim(root.read(`${NCT}/pwm${n}_enable`)))).toEqual(["2", "2"]);

    for (const n of [1, 3]) root.write(`${NCT}/pwm${n}_enable`, "1");
    const narrowed = config(root, { fans: { chip: "nct6798", channels: [1] } });
    restoreFirmwareAutomatic({ config: narrowed, record: readFirmwareModes(file) });
    expect([1, 3].map((n) => trim(root.read(`${NCT}/pwm${n}_enable`)))).toEqual(["2", "2"]);
  });

  it("a pwm without an enable file (aquacomputer pump) gets its recorded duty, else its failsafe duty", () => {
    const root = server(2);
    addHwmonChip(root, d5next(4));
    const cfg = config(root, { pump: { chip: "d5next", channels: [1], minPct: 30, failsafePct: 80, roles: ["coolant"] } });
    const report = restoreFirmwareAutomatic({ config: cfg, record: undefined });
    expect(report.problems).toEqual([]);
    const pump = report.writes.filter((w) => !w.file.includes("nct6775"));
    // 80 % of 255: no automatic mode to go back to, so the safe level.
    expect(pump).toHaveLength(1);
    expect(pump[0]!.file).toMatch(/hwmon4\/pwm1$/);
    expect(pump[0]).toMatchObject({ from: "153", to: "204", reason: "no-automatic-mode" });
  });

  it("applesmc: fan_manual back to 0", () => {
    const root = new FakeRoot();
    roots.push(root);
    addHwmonChip(root, coretemp(0, 0, 50, [48]));
    addHwmonChip(root, applesmc(1, [{ label: "Exhaust", rpm: 900, minRpm: 800, maxRpm: 2400, manual: 1 }]));
    const cfg = config(root, { fans: { chip: "applesmc", channels: [1] } });
    expect(restoreFirmwareAutomatic({ config: cfg, record: undefined }).problems).toEqual([]);
    expect(trim(root.read(`${SMC}/fan1_manual`))).toBe("0");
  });

  it("reports a missing chip and still restores the other group", () => {
    const root = server(1);
    const cfg = config(root, { pump: { chip: "d5next", channels: [1], roles: ["coolant"] } });
    const report = restoreFirmwareAutomatic({ config: cfg, record: undefined });
    expect(report.problems).toEqual([expect.stringMatching(/^pump: no hwmon chip "d5next"/)]);
    expect(trim(root.read(`${NCT}/pwm1_enable`))).toBe("2");
  });
});

describe("firmware modes record", () => {
  it("lives in $RUNTIME_DIRECTORY (the first one), nowhere without it", () => {
    expect(firmwareModesFile({ RUNTIME_DIRECTORY: "/run/coolfleet-agent:/run/other" })).toBe("/run/coolfleet-agent/firmware-modes.json");
    expect(firmwareModesFile({})).toBeUndefined();
  });

  it("reads nothing from a missing or foreign file", () => {
    const root = server(2);
    expect(readFirmwareModes(join(root.dir, "none.json"))).toBeUndefined();
    root.write("/x.json", '{"version": 9}');
    expect(readFirmwareModes(root.path("/x.json"))).toBeUndefined();
    root.write("/y.json", '{"version": 1, "channels": [{"attrDir": 3}]}');
    expect(readFirmwareModes(root.path("/y.json"))?.channels).toEqual([]);
  });
});
