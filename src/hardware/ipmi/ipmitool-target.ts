import { readFileSync } from "node:fs";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import type { IpmiConfig } from "./config.js";

/** Where ipmitool goes: in-band, or a BMC over the LAN with credentials. */
export type IpmitoolTarget =
  | { interface: "open" }
  | { interface: "lanplus" | "lan"; host: string; port: number; username: string; password: string; cipherSuite?: number };

/**
 * The command line for one ipmitool run. The password never appears in it: `-E` makes ipmitool read
 * IPMI_PASSWORD from its environment, which other users cannot see in `ps`.
 */
export function ipmitoolArgs(target: IpmitoolTarget, command: readonly string[]): string[] {
  if (target.interface === "open") return ["-I", "open", ...command];
  const args = ["-I", target.interface, "-H", target.host, "-p", String(target.port), "-U", target.username, "-E"];
  if (target.interface === "lanplus" && target.cipherSuite !== undefined) args.push("-C", String(target.cipherSuite));
  return [...args, ...command];
}

/** The child's environment: C locale (stable number formats), PATH, and the password for -E. */
export function ipmitoolEnv(target: IpmitoolTarget, parentPath = process.env.PATH ?? "/usr/sbin:/usr/bin:/sbin:/bin"): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { PATH: parentPath, LC_ALL: "C" };
  if (target.interface !== "open") env.IPMI_PASSWORD = target.password;
  return env;
}

/** Builds the target from a validated config block, reading the password file. */
export function ipmitoolTargetFromConfig(cfg: IpmiConfig, readPassword: (file: string) => string = (file) => readFileSync(file, "utf8")): IpmitoolTarget {
  if (cfg.interface === "open") return { interface: "open" };
  const { host, username, passwordFile } = cfg;
  if (!host || !username || !passwordFile) {
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `ipmi: interface "${cfg.interface}" needs host, username and passwordFile`);
  }
  let password: string;
  try {
    // One trailing newline is an editor's, not the password's.
    password = readPassword(passwordFile).replace(/\r?\n$/, "");
  } catch (err) {
    throw new CoolfleetError(
      ErrorCode.ConfigUnreadable,
      `ipmi.passwordFile ${passwordFile}: cannot read it (${err instanceof Error ? err.message : String(err)}); create it readable only by the agent's user, containing the BMC password`,
      { cause: err },
    );
  }
  if (password.length === 0) throw new CoolfleetError(ErrorCode.ConfigInvalid, `ipmi.passwordFile ${passwordFile} is empty`);
  if (Buffer.byteLength(password, "latin1") > 20) {
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `ipmi.passwordFile ${passwordFile}: IPMI passwords are at most 20 bytes`);
  }
  return {
    interface: cfg.interface,
    host,
    port: cfg.port,
    username,
    password,
    ...(cfg.interface === "lanplus" && cfg.cipherSuite !== undefined ? { cipherSuite: cfg.cipherSuite } : {}),
  };
}
