import type { CapabilityTier } from "../../protocol/index.js";
import { describeFailure, IpmiCompletionCode } from "./ipmitool-failure.js";
import type { IpmitoolOutcome } from "./ipmitool-runner.js";

/**
 * What a manual-mode command's outcome says about the firmware. Only completion codes decide a tier: a BMC that
 * was not reached, timed out or was busy tells us nothing, and the previous verdict stands until it can be asked.
 */
export type TierVerdict = { decided: true; tier: CapabilityTier; reason: string } | { decided: false; reason: string };

/** Completion codes meaning "this firmware will not let you drive the fans": 0xD4 (iDRAC9 ≥ 3.34), absent command, bad data. */
const REFUSALS = new Map<number, string>([
  [IpmiCompletionCode.InsufficientPrivilege, "refused (0xD4): firmware removed manual fan control (iDRAC 9 ≥ 3.34, iDRAC 10) or the account is not Administrator"],
  [IpmiCompletionCode.InvalidCommand, "refused (0xC1): the BMC has no Dell fan-control command"],
  [IpmiCompletionCode.NotSupportedInPresentState, "refused (0xD5): command not supported in the BMC's present state"],
  [IpmiCompletionCode.InvalidDataField, "refused (0xCC): the BMC does not understand the Dell fan-control data"],
]);

/**
 * The decision table for a manual-on (raw 0x30 0x30 0x01 0x00) or fan-speed write:
 * accepted → full; a refusal code → monitor; 0xC0 busy, other codes and transport failures → undecided.
 * "floor" (a minimum speed or offset through Redfish/racadm) cannot be reached through ipmitool, so it is never decided here.
 */
export function tierFromOutcome(outcome: IpmitoolOutcome): TierVerdict {
  if (outcome.ok) return { decided: true, tier: "full", reason: "BMC accepted manual fan control" };
  const failure = outcome.failure;
  if (failure.kind === "completion-code") {
    const refusal = REFUSALS.get(failure.code);
    if (refusal) return { decided: true, tier: "monitor", reason: refusal };
  }
  return { decided: false, reason: describeFailure(failure) };
}
