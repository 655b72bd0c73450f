/** Error codes grouped by area; tests assert on the code, users read the message. */
export const ErrorCode = {
  ConfigInvalid: "CONFIG_INVALID",
  ConfigUnreadable: "CONFIG_UNREADABLE",
  HwmonChipMissing: "HWMON_CHIP_MISSING",
  HwmonWriteFailed: "HWMON_WRITE_FAILED",
  ModelDataInsufficient: "MODEL_DATA_INSUFFICIENT",
  ProtocolInvalid: "PROTOCOL_INVALID",
  SimProfileInvalid: "SIM_PROFILE_INVALID",
  SimTraceInvalid: "SIM_TRACE_INVALID",
  UsageInvalid: "USAGE_INVALID",
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class CoolfleetError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "CoolfleetError";
  }
}

export function isCoolfleetError(err: unknown, code?: ErrorCode): err is CoolfleetError {
  return err instanceof CoolfleetError && (code === undefined || err.code === code);
}
