/** IPMI completion codes the simulated BMC answers with (IPMI v2.0 table 5-2, plus the Dell refusal). */
export const CompletionCode = {
  Ok: 0x00,
  /** Close Session: no such session. */
  InvalidSessionId: 0x87,
  /** Set Session Privilege Level above what the user may have. */
  PrivilegeUnavailable: 0x81,
  InvalidCommand: 0xc1,
  ReservationCancelled: 0xc5,
  RequestDataLengthInvalid: 0xc7,
  ParameterOutOfRange: 0xc9,
  CannotReturnRequestedBytes: 0xca,
  NotPresent: 0xcb,
  InvalidDataField: 0xcc,
  /** What iDRAC9 ≥ 3.34 answers to the manual fan commands (and the spec's "insufficient privilege"). */
  InsufficientPrivilege: 0xd4,
  CommandNotSupportedInState: 0xd5,
} as const;

/** A command handler's answer: completion code and response data after it. */
export interface CommandResult {
  cc: number;
  data?: Buffer;
}

export function ok(data?: Buffer | readonly number[]): CommandResult {
  if (data === undefined) return { cc: CompletionCode.Ok };
  return { cc: CompletionCode.Ok, data: Buffer.isBuffer(data) ? data : Buffer.from(data) };
}

export function fail(cc: number): CommandResult {
  return { cc };
}
