import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { ActuatorGroupConfig, AgentConfig } from "../config/agent-schema.js";
import { findActuatorChip, HwmonDiscovery, type HwmonChip } from "../hardware/hwmon/index.js";
import { readSysfsText } from "../hardware/hwmon/sysfs-io.js";

/**
 * What the firmware had on one fan or pump channel before the agent took it over, kept on disk so that
 * `--restore-firmware` (the unit's ExecStopPost, a separate process that may run after a crash) can put back the
 * exact automatic mode: many boards' BIOS programs nct67xx chips for Smart Fan IV (pwm_enable=5), not 2.
 */
export interface FoundChannelMode {
  /** Host path of the directory holding the attribute files. */
  attrDir: string;
  chip: string;
  channel: number;
  kind: "pwm" | "applesmc";
  /** pwm{n}_enable as found; absent when the chip has no enable file. */
  enable?: string;
  /** pwm{n} duty as found (0-255). */
  pwm?: string;
  /** applesmc fan{n}_manual as found. */
  manual?: string;
}

export interface FirmwareModesRecord {
  version: 1;
  recordedAtMs: number;
  channels: FoundChannelMode[];
}

export const FIRMWARE_MODES_FILE = "firmware-modes.json";

/** $RUNTIME_DIRECTORY/firmware-modes.json when systemd gives the unit a RuntimeDirectory=, else undefined. */
export function firmwareModesFile(env: NodeJS.ProcessEnv = process.env): string | undefined {
  // systemd passes one path per RuntimeDirectory= entry, colon-separated.
  const dir = env["RUNTIME_DIRECTORY"]?.split(":")[0];
  return dir ? path.join(dir, FIRMWARE_MODES_FILE) : undefined;
}

/** The configured actuator groups, fans first. */
export function actuatorGroups(config: AgentConfig): Array<{ name: "fans" | "pump"; group: ActuatorGroupConfig }> {
  return [{ name: "fans" as const, group: config.fans }, ...(config.pump ? [{ name: "pump" as const, group: config.pump }] : [])];
}

/** The groups driven through hwmon files (the ones whose modes can be read and written back here). */
export function hwmonGroups(config: AgentConfig): Array<{ name: "fans" | "pump"; group: ActuatorGroupConfig & { chip: string } }> {
  return actuatorGroups(config).filter((g): g is { name: "fans" | "pump"; group: ActuatorGroupConfig & { chip: string } } => g.group.driver === "hwmon" && g.group.chip !== undefined);
}

/** Reads the current mode of every configured channel (no writes). Throws when a group's chip is missing. */
export function readChannelModes(config: AgentConfig, chips: readonly HwmonChip[] = new HwmonDiscovery(config.root).discover()): FoundChannelMode[] {
  const found: FoundChannelMode[] = [];
  for (const { group } of hwmonGroups(config)) {
    const chip = findActuatorChip(config.root, chips, group);
    for (const channel of group.channels) {
      const read = (file: string): string | undefined => (chip.files.has(file) ? readSysfsText(path.join(chip.attrDir, file)) : undefined);
      if (chip.files.has(`pwm${channel}`)) {
        found.push(withDefined({ attrDir: chip.attrDir, chip: chip.name, channel, kind: "pwm", enable: read(`pwm${channel}_enable`), pwm: read(`pwm${channel}`) }));
      } else if (chip.files.has(`fan${channel}_manual`)) {
        found.push(withDefined({ attrDir: chip.attrDir, chip: chip.name, channel, kind: "applesmc", manual: read(`fan${channel}_manual`) }));
      }
    }
  }
  return found;
}

/** A channel in manual mode was most likely left so by an agent that died; what it holds is not the firmware's. */
export function isManual(mode: FoundChannelMode): boolean {
  return mode.kind === "pwm" ? mode.enable === "1" : mode.manual !== undefined && mode.manual !== "0";
}

/**
 * Records the channels' current modes before the agent takes control. A channel found in manual mode keeps the
 * mode an earlier record holds for it, so a crash whose ExecStopPost could not run does not make "manual" the
 * mode to restore next time.
 */
export function recordFirmwareModes(file: string, current: readonly FoundChannelMode[], nowMs: number): FirmwareModesRecord {
  const previous = readFirmwareModes(file);
  const channels = current.map((mode) => {
    const earlier = previous?.channels.find((p) => sameChannel(p, mode));
    return isManual(mode) && earlier && !isManual(earlier) ? earlier : mode;
  });
  const record: FirmwareModesRecord = { version: 1, recordedAtMs: nowMs, channels };
  // Write-then-rename: ExecStopPost may read it at any moment, and must never see half a file.
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return record;
}

/** The record, or undefined when there is none or it cannot be read as one. */
export function readFirmwareModes(file: string | undefined): FirmwareModesRecord | undefined {
  if (file === undefined) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, "utf8"));
  } catch {
    return undefined;
  }
  if (typeof parsed !== "object" || parsed === null) return undefined;
  const record = parsed as Partial<FirmwareModesRecord>;
  if (record.version !== 1 || !Array.isArray(record.channels)) return undefined;
  const channels = record.channels.filter(isFoundChannelMode);
  return { version: 1, recordedAtMs: Number(record.recordedAtMs) || 0, channels };
}

export function sameChannel(a: Pick<FoundChannelMode, "attrDir" | "channel" | "kind">, b: Pick<FoundChannelMode, "attrDir" | "channel" | "kind">): boolean {
  return a.attrDir === b.attrDir && a.channel === b.channel && a.kind === b.kind;
}

function isFoundChannelMode(value: unknown): value is FoundChannelMode {
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  const optionalText = (key: string): boolean => v[key] === undefined || typeof v[key] === "string";
  return (
    typeof v["attrDir"] === "string" &&
    typeof v["chip"] === "string" &&
    Number.isInteger(v["channel"]) &&
    (v["kind"] === "pwm" || v["kind"] === "applesmc") &&
    optionalText("enable") &&
    optionalText("pwm") &&
    optionalText("manual")
  );
}

function withDefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
