import { CoolfleetError, ErrorCode } from "../../core/errors.js";

const PWM_DUTY_MAX = 255;

/** Out-of-range requests are clamped to 0..100 (the governor bounds them first); non-numbers are refused. */
export function clampPct(pct: number): number {
  if (!Number.isFinite(pct)) throw new CoolfleetError(ErrorCode.HwmonWriteFailed, `refusing to set cooling to ${pct} %`);
  return Math.min(100, Math.max(0, pct));
}

/** 0..100 % to the 0..255 pwm duty register. */
export function pctToDuty(pct: number): number {
  return Math.round((clampPct(pct) * PWM_DUTY_MAX) / 100);
}
