import { describeFailure, type IpmiFailure } from "./ipmitool-failure.js";

/**
 * A fan command that got no verdict (BMC unreachable, timeout, busy). Refusals never throw: they move the
 * actuator to tier "monitor". Carries the failure so callers can branch on failure.kind.
 */
export class IpmiCommandError extends Error {
  constructor(
    readonly failure: IpmiFailure,
    what: string,
  ) {
    super(`${what}: ${describeFailure(failure)}`);
    this.name = "IpmiCommandError";
  }
}
