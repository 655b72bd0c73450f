import { spawnSync } from "node:child_process";
import { CoolfleetError, ErrorCode } from "../core/errors.js";

/** What a certificate is for; selects its extensions section in the generated openssl config. */
export type CertProfile = "ca" | "client" | "server";

export interface OpensslConfigInput {
  commonName: string;
  profile: CertProfile;
  dns?: readonly string[];
  ip?: readonly string[];
}

/**
 * A self-contained openssl config (so the system's openssl.cnf never changes what we issue). The common name
 * goes in through the config, not -subj, so no shell or DN escaping is involved; callers validate it first.
 */
export function renderOpensslConfig(input: OpensslConfigInput): string {
  const lines = ["[req]", "distinguished_name = dn", "prompt = no", "", "[dn]", `CN = ${input.commonName}`, ""];
  lines.push(
    "[ca]",
    "basicConstraints = critical, CA:TRUE, pathlen:0",
    "keyUsage = critical, keyCertSign, cRLSign",
    "subjectKeyIdentifier = hash",
    "",
    "[client]",
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature",
    // clientAuth only: a host or controller certificate cannot serve as a broker's, and the reverse.
    "extendedKeyUsage = clientAuth",
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid, issuer",
    "",
    "[server]",
    "basicConstraints = critical, CA:FALSE",
    "keyUsage = critical, digitalSignature",
    "extendedKeyUsage = serverAuth",
    "subjectKeyIdentifier = hash",
    "authorityKeyIdentifier = keyid, issuer",
  );
  if (input.profile === "server") {
    lines.push("subjectAltName = @alt", "", "[alt]");
    (input.dns ?? []).forEach((name, i) => lines.push(`DNS.${i + 1} = ${name}`));
    (input.ip ?? []).forEach((address, i) => lines.push(`IP.${i + 1} = ${address}`));
  }
  return `${lines.join("\n")}\n`;
}

/** Runs the openssl binary; a missing binary or a failure becomes an error that says what to do. */
export function runOpenssl(openssl: string, args: string[]): void {
  const result = spawnSync(openssl, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  if (result.error) {
    const code = (result.error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") {
      throw new CoolfleetError(
        ErrorCode.UsageInvalid,
        `the openssl command was not found (looked for "${openssl}"): install it (Debian/Ubuntu: apt-get install openssl; EL: dnf install openssl; macOS: brew install openssl) and try again`,
        { cause: result.error },
      );
    }
    throw new CoolfleetError(ErrorCode.UsageInvalid, `running ${openssl} ${args[0] ?? ""} failed: ${result.error.message}`, { cause: result.error });
  }
  if (result.status !== 0) {
    throw new CoolfleetError(ErrorCode.UsageInvalid, `${openssl} ${args[0] ?? ""} exited with ${result.status ?? result.signal}: ${result.stderr.trim()}`);
  }
}
