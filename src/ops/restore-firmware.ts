import { spawnSync } from "node:child_process";
import path from "node:path";
import type { AgentConfig } from "../config/agent-schema.js";
import { DellFanCommand, ipmitoolArgs, ipmitoolEnv, ipmitoolTargetFromConfig, type IpmiConfig } from "../hardware/ipmi/index.js";
import { findActuatorChip, HwmonDiscovery, type HwmonChip } from "../hardware/hwmon/index.js";
import { pctToDuty } from "../hardware/hwmon/duty.js";
import { readSysfsText, writeSysfs } from "../hardware/hwmon/sysfs-io.js";
import { hwmonGroups, sameChannel, type FirmwareModesRecord, type FoundChannelMode } from "./firmware-modes.js";

/**
 * pwm{n}_enable for "the chip's own automatic control" when no record says what the firmware had. The hwmon ABI
 * reserves 0 for full speed and 1 for manual; 2 is automatic on every driver we drive (nct6775 family: Thermal
 * Cruise; it87, f71882fg, dell-smm, thinkpad, amdgpu: their one automatic mode). Per-chip notes: docs/operations.md.
 */
export const DEFAULT_AUTOMATIC_PWM_ENABLE = "2";
/** applesmc fan{n}_manual: 0 hands the fan back to the SMC's own curve. */
const SMC_AUTOMATIC = "0";

/** One channel to hand back: where its files are, what was recorded for it, and its group's failsafe. */
interface RestoreTarget {
  attrDir: string;
  chip: string;
  channel: number;
  kind: FoundChannelMode["kind"];
  hasEnable: boolean;
  recorded: FoundChannelMode | undefined;
  failsafePct: number;
}

export interface RestoreWrite {
  file: string;
  from: string | undefined;
  to: string;
  /** Why this value: the mode recorded at start, the automatic default, or (no automatic mode) a safe duty. */
  reason: "recorded" | "automatic-default" | "no-automatic-mode";
}

export interface RestoreReport {
  writes: RestoreWrite[];
  /** Channels that could not be handed back, with why. Non-empty means some fans may still be in manual mode. */
  problems: string[];
}

export interface RestoreInput {
  /** The agent config; undefined when it could not be loaded (then only the record says which channels). */
  config: AgentConfig | undefined;
  record: FirmwareModesRecord | undefined;
  chips?: readonly HwmonChip[];
}

/**
 * Hands every configured fan and pump channel back to firmware automatic control without taking control first,
 * so it is safe with or without a running agent: pwm{n}_enable to the mode recorded at the agent's start (else 2),
 * applesmc fan{n}_manual to 0. Channels with no automatic mode get back their recorded duty, else their group's
 * failsafe duty. Every channel is tried even when one fails.
 */
export function restoreFirmwareAutomatic(input: RestoreInput): RestoreReport {
  const problems: string[] = [];
  const targets = restoreTargets(input, problems);
  const writes: RestoreWrite[] = [];
  for (const target of targets) {
    // Each write on its own: a refused duty write must not keep the mode write from happening.
    for (const write of writesFor(target)) {
      try {
        writeSysfs(write.file, write.to);
        writes.push(write);
      } catch (err) {
        problems.push(`${target.chip} channel ${target.channel}: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
  }
  if (input.config?.fans.driver === "ipmi" && input.config.ipmi) restoreIpmiAutomatic(input.config.ipmi, writes, problems);
  return { writes, problems };
}

/**
 * A Dell BMC has no lease of its own that ends manual fan mode: after an agent crash only this command gives the
 * fans back to the iDRAC (raw 0x30 0x30 0x01 0x01), run synchronously with the configured hard timeout.
 */
function restoreIpmiAutomatic(ipmi: IpmiConfig, writes: RestoreWrite[], problems: string[]): void {
  try {
    const target = ipmitoolTargetFromConfig(ipmi);
    const command = [...DellFanCommand.automatic];
    const run = spawnSync(ipmi.ipmitoolPath, ipmitoolArgs(target, command), { env: ipmitoolEnv(target), timeout: ipmi.timeoutMs, encoding: "utf8" });
    if (run.status === 0) writes.push({ file: `ipmi:${command.join(" ")}`, from: undefined, to: "automatic", reason: "automatic-default" });
    else problems.push(`ipmi: ${command.join(" ")} failed: ${(run.stderr || run.error?.message || `exit ${run.status}`).trim()}`);
  } catch (err) {
    problems.push(`ipmi: ${err instanceof Error ? err.message : String(err)}`);
  }
}

function restoreTargets(input: RestoreInput, problems: string[]): RestoreTarget[] {
  const recorded = input.record?.channels ?? [];
  const targets: RestoreTarget[] = [];
  if (input.config) {
    const config = input.config;
    let chips = input.chips;
    try {
      chips ??= new HwmonDiscovery(config.root).discover();
    } catch (err) {
      problems.push(`cannot list hwmon chips under ${config.root}: ${String(err)}`);
      chips = [];
    }
    for (const { name, group } of hwmonGroups(config)) {
      let chip: HwmonChip;
      try {
        chip = findActuatorChip(config.root, chips, group);
      } catch (err) {
        problems.push(`${name}: ${err instanceof Error ? err.message : String(err)}`);
        continue;
      }
      for (const channel of group.channels) {
        const kind = chip.files.has(`pwm${channel}`) ? "pwm" : chip.files.has(`fan${channel}_manual`) ? "applesmc" : undefined;
        if (!kind) {
          problems.push(`${name}: ${chip.name} at ${chip.devicePath} has neither pwm${channel} nor fan${channel}_manual`);
          continue;
        }
        const key = { attrDir: chip.attrDir, channel, kind } as const;
        targets.push({
          ...key,
          chip: chip.name,
          hasEnable: chip.files.has(`pwm${channel}_enable`),
          recorded: recorded.find((r) => sameChannel(r, key)),
          failsafePct: group.failsafePct,
        });
      }
    }
  }
  // Channels the agent took that the config no longer names (edited while the agent ran): hand those back too.
  for (const mode of recorded) {
    if (targets.some((t) => sameChannel(t, mode))) continue;
    targets.push({ attrDir: mode.attrDir, chip: mode.chip, channel: mode.channel, kind: mode.kind, hasEnable: mode.enable !== undefined, recorded: mode, failsafePct: 100 });
  }
  return targets;
}

function writesFor(target: RestoreTarget): RestoreWrite[] {
  const file = (name: string): string => path.join(target.attrDir, name);
  const n = target.channel;
  if (target.kind === "applesmc") {
    const manual = file(`fan${n}_manual`);
    return [{ file: manual, from: readSysfsText(manual), to: SMC_AUTOMATIC, reason: target.recorded ? "recorded" : "automatic-default" }];
  }
  const pwm = file(`pwm${n}`);
  const recorded = target.recorded;
  if (!target.hasEnable) {
    // No automatic mode (aquacomputer pumps, some laptops): a known duty, else the group's failsafe level.
    const to = recorded?.pwm ?? String(pctToDuty(target.failsafePct));
    return [{ file: pwm, from: readSysfsText(pwm), to, reason: recorded?.pwm !== undefined ? "recorded" : "no-automatic-mode" }];
  }
  const enable = file(`pwm${n}_enable`);
  const currentEnable = readSysfsText(enable);
  const writes: RestoreWrite[] = [];
  // Duty first, while the channel is still manual: some chips refuse pwm writes in automatic mode.
  if (currentEnable === "1" && recorded?.pwm !== undefined) writes.push({ file: pwm, from: readSysfsText(pwm), to: recorded.pwm, reason: "recorded" });
  const recordedAutomatic = recorded?.enable !== undefined && Number(recorded.enable) >= 2 ? recorded.enable : undefined;
  writes.push({ file: enable, from: currentEnable, to: recordedAutomatic ?? DEFAULT_AUTOMATIC_PWM_ENABLE, reason: recordedAutomatic ? "recorded" : "automatic-default" });
  return writes;
}
