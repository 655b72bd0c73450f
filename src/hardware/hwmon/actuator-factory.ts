import type { ActuatorGroupConfig } from "../../config/agent-schema.js";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import type { CoolingActuator } from "../binding.js";
import { ApplesmcFanActuator } from "./applesmc-actuator.js";
import { describeChips, HwmonDiscovery, matchChips, type HwmonChip } from "./discovery.js";
import { HwmonPwmActuator } from "./pwm-actuator.js";

export type ActuatorChipSelector = Pick<ActuatorGroupConfig, "device" | "channels"> & { chip: string };

const FIND_CHIPS_HINT = "list them with: grep . /sys/class/hwmon/hwmon*/name";

/** The one chip an actuator group names; throws HwmonChipMissing saying what exists when there is not exactly one. */
export function findActuatorChip(root: string, chips: readonly HwmonChip[], group: ActuatorChipSelector): HwmonChip {
  const matches = matchChips(chips, group.chip, group.device);
  const wanted =
    group.device === undefined ? `"${group.chip}"` : `"${group.chip}" with a device path containing "${group.device}"`;
  if (matches.length === 0) {
    throw new CoolfleetError(
      ErrorCode.HwmonChipMissing,
      `no hwmon chip ${wanted} under ${root}; chips present: ${describeChips(chips)}. ` +
        `Set the actuator group's chip (and device) in the agent config to one of them (${FIND_CHIPS_HINT}).`,
    );
  }
  if (matches.length > 1) {
    throw new CoolfleetError(
      ErrorCode.HwmonChipMissing,
      `${matches.length} hwmon chips ${wanted} under ${root}: ${describeChips(matches)}. ` +
        `Set the actuator group's device to a part of one of these paths so the agent drives the right fans.`,
    );
  }
  return matches[0]!;
}

/**
 * The actuator for a configured fan or pump group, chosen by the files the chip has: pwm{n} → HwmonPwmActuator,
 * fan{n}_manual + fan{n}_output (applesmc) → ApplesmcFanActuator. Pass `chips` to reuse a discovery.
 */
export function createHwmonActuator(
  root: string,
  group: ActuatorChipSelector,
  chips: readonly HwmonChip[] = new HwmonDiscovery(root).discover(),
): CoolingActuator {
  const chip = findActuatorChip(root, chips, group);
  if (group.channels.every((n) => chip.files.has(`pwm${n}`))) return new HwmonPwmActuator(chip, group.channels);
  if (group.channels.every((n) => chip.files.has(`fan${n}_manual`) && chip.files.has(`fan${n}_output`))) {
    return new ApplesmcFanActuator(chip, group.channels);
  }
  const offered = chip.channels
    .filter((c) => c.type === "pwm" || c.control?.manual !== undefined)
    .map((c) => (c.type === "pwm" ? `pwm${c.index}` : `fan${c.index}_manual`));
  const offeredText = offered.length > 0 ? offered.join(", ") : "none";
  throw new CoolfleetError(
    ErrorCode.HwmonChipMissing,
    `${chip.name} at ${chip.devicePath} cannot drive channels [${group.channels.join(", ")}]: ` +
      `it needs pwm{n}, or fan{n}_manual and fan{n}_output, for each; controllable channels it has: ${offeredText}.`,
  );
}
