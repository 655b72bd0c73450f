/**
 * Why an ipmitool run failed, read from what ipmitool 1.8.x prints. Completion codes come from the BMC and say
 * what it thinks of the command; the other kinds mean the command never got a verdict.
 */
export type IpmiFailure =
  /** The BMC answered with a non-zero completion code. */
  | { kind: "completion-code"; code: number; message: string }
  /** No session: the BMC was not reached, or it rejected the credentials (ipmitool cannot tell them apart). */
  | { kind: "no-session"; message: string }
  /** In-band: no /dev/ipmi0 (OpenIPMI driver not loaded, or not root). */
  | { kind: "no-device"; message: string }
  /** Killed after the hard timeout. */
  | { kind: "timeout"; message: string }
  /** The ipmitool binary could not be started. */
  | { kind: "not-installed"; message: string }
  /** Anything else: non-zero exit without a recognised message. */
  | { kind: "failed"; exitCode: number | null; message: string };

/** Completion codes (IPMI v2.0 table 5-2) and what they mean for a Dell fan command. */
export const IpmiCompletionCode = {
  NodeBusy: 0xc0,
  InvalidCommand: 0xc1,
  InvalidDataField: 0xcc,
  /** Insufficient privilege, or removed by firmware (iDRAC9 ≥ 3.34 answers the manual fan commands with it). */
  InsufficientPrivilege: 0xd4,
  NotSupportedInPresentState: 0xd5,
} as const;

const RAW_RSP = /rsp=0x([0-9a-f]{1,2})\)?:?\s*([^\n]*)/i;
const NO_SESSION = /Unable to establish (?:IPMI v2 \/ RMCP\+|LAN|IPMI v1\.5 \/ RMCP) session/;
const NO_DEVICE = /Could not open device at/;

/** Classifies a failed run (non-zero exit) from its stderr; the first line that says something wins. */
export function parseIpmitoolFailure(stderr: string, exitCode: number | null): IpmiFailure {
  const rsp = RAW_RSP.exec(stderr);
  if (rsp?.[1]) {
    const detail = rsp[2]?.trim();
    return { kind: "completion-code", code: Number.parseInt(rsp[1], 16), message: detail ? detail : firstLine(stderr) };
  }
  if (NO_SESSION.test(stderr)) return { kind: "no-session", message: firstLine(stderr.split("\n").find((l) => NO_SESSION.test(l)) ?? stderr) };
  if (NO_DEVICE.test(stderr)) return { kind: "no-device", message: firstLine(stderr.split("\n").find((l) => NO_DEVICE.test(l)) ?? stderr) };
  return { kind: "failed", exitCode, message: firstLine(stderr) || `ipmitool exited with ${exitCode === null ? "a signal" : `status ${exitCode}`}` };
}

export function describeFailure(failure: IpmiFailure): string {
  switch (failure.kind) {
    case "completion-code":
      return `BMC answered completion code 0x${failure.code.toString(16).padStart(2, "0")} (${failure.message})`;
    case "no-session":
      return `no IPMI session: BMC unreachable or credentials rejected (${failure.message})`;
    case "no-device":
      return `no in-band IPMI device: load the ipmi_si/ipmi_devintf drivers and run as root (${failure.message})`;
    case "timeout":
      return failure.message;
    case "not-installed":
      return `ipmitool not runnable: install the ipmitool package (${failure.message})`;
    case "failed":
      return failure.message;
  }
}

/** The first non-blank line, trimmed. */
export function firstLine(text: string): string {
  return (
    text
      .split("\n")
      .map((l) => l.trim())
      .find((l) => l.length > 0) ?? ""
  );
}
