import { CompletionCode, fail, ok, type CommandResult } from "./completion-codes.js";
import type { FanModeLease } from "./fan-mode.js";
import { acceptsManualFanControl, type BmcPersonality } from "./personality.js";

/** Dell OEM network function and the fan-control command within it. */
export const NETFN_DELL_OEM = 0x30;
export const CMD_DELL_FAN_CONTROL = 0x30;

const SUB_MANUAL_MODE = 0x01;
const SUB_SET_SPEED = 0x02;
const ALL_FANS = 0xff;
const MAX_PCT = 0x64;

export interface DellFanContext {
  fans: FanModeLease;
  fanCount: number;
  personality: BmcPersonality;
  nowMs: number;
}

/**
 * raw 0x30 0x30 …: 01 00 manual on, 01 01 back to automatic, 02 ff P all fans to P %, 02 <id> P one fan
 * (ids count from 0 in SDR order: 0 is Fan1). Malformed data answers 0xCC; a refusing firmware 0xD4 for all.
 */
export function handleDellFanControl(data: Buffer, ctx: DellFanContext): CommandResult {
  if (!acceptsManualFanControl(ctx.personality)) return fail(CompletionCode.InsufficientPrivilege);
  const sub = data[0];
  if (sub === SUB_MANUAL_MODE) {
    if (data.length !== 2) return fail(CompletionCode.RequestDataLengthInvalid);
    if (data[1] === 0x00) ctx.fans.manualOn(ctx.nowMs);
    else if (data[1] === 0x01) ctx.fans.automatic(ctx.nowMs);
    else return fail(CompletionCode.InvalidDataField);
    return ok();
  }
  if (sub === SUB_SET_SPEED) {
    if (data.length !== 3) return fail(CompletionCode.RequestDataLengthInvalid);
    const target = data.readUInt8(1);
    const pct = data.readUInt8(2);
    if (pct > MAX_PCT) return fail(CompletionCode.InvalidDataField);
    if (target === ALL_FANS) ctx.fans.setPct("all", pct, ctx.nowMs);
    else if (target < ctx.fanCount) ctx.fans.setPct(target, pct, ctx.nowMs);
    else return fail(CompletionCode.InvalidDataField);
    return ok();
  }
  return fail(CompletionCode.InvalidDataField);
}
