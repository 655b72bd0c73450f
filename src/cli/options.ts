import type { LevelWithSilent } from "pino";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import { LOG_LEVELS } from "../core/logger.js";

/** Command-line value checks with messages that name the option. */
export function parsePositiveNumber(option: string, raw: string, opts: { integer?: boolean; max?: number; allowZero?: boolean } = {}): number {
  const value = Number(raw);
  const kind = opts.integer ? "a whole number" : "a number";
  const min = opts.allowZero ? 0 : Number.MIN_VALUE;
  if (raw.trim() === "" || !Number.isFinite(value) || value < min || (opts.integer && !Number.isInteger(value)) || (opts.max !== undefined && value > opts.max)) {
    const range = `${opts.allowZero ? "≥ 0" : "> 0"}${opts.max !== undefined ? ` and ≤ ${opts.max}` : ""}`;
    throw new CoolfleetError(ErrorCode.UsageInvalid, `${option} must be ${kind} ${range}; got "${raw}"`);
  }
  return value;
}

export function parsePort(option: string, raw: string): number {
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new CoolfleetError(ErrorCode.UsageInvalid, `${option} must be a TCP port 0-65535; got "${raw}"`);
  }
  return port;
}

export function parseLogLevel(raw: string): LevelWithSilent {
  if (!(LOG_LEVELS as readonly string[]).includes(raw)) {
    throw new CoolfleetError(ErrorCode.UsageInvalid, `--log-level must be one of ${LOG_LEVELS.join(", ")}; got "${raw}"`);
  }
  return raw as LevelWithSilent;
}
