import { generateKeyPairSync, randomBytes } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { isIP } from "node:net";
import { join } from "node:path";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import { isValidHostId } from "../protocol/index.js";
import { renderOpensslConfig, runOpenssl, type CertProfile } from "./site-ca-openssl.js";

/**
 * The site's certificate authority for the broker's client-certificate authentication: one CA per site, a
 * client certificate per host whose CN is the host id (mosquitto's use_identity_as_username turns it into the
 * user name the ACL's %u patterns use), one for the controller (CN "controller") and the broker's server
 * certificate. Keys are P-256, written 0600; the directory holding the CA key is created 0700.
 */

/** The CN the broker ACL grants the whole fleet to; no host may be issued it. */
export const CONTROLLER_IDENTITY = "controller";
export const DEFAULT_CA_DAYS = 3650;
export const DEFAULT_LEAF_DAYS = 825;
const MAX_DAYS = 36_500;

export interface SiteCaOptions {
  dir: string;
  days?: number;
  /** Replace existing files instead of refusing. */
  force?: boolean;
  /** The openssl binary (default "openssl" on PATH). */
  openssl?: string;
}

export interface IssuedFiles {
  commonName: string;
  cert: string;
  key: string;
  days: number;
}

export function caPaths(dir: string): { cert: string; key: string } {
  return { cert: join(dir, "ca.crt"), key: join(dir, "ca.key") };
}

export function hostCertPaths(dir: string, hostId: string): { cert: string; key: string } {
  return { cert: join(dir, "hosts", `${hostId}.crt`), key: join(dir, "hosts", `${hostId}.key`) };
}

export function controllerCertPaths(dir: string): { cert: string; key: string } {
  return { cert: join(dir, "controller.crt"), key: join(dir, "controller.key") };
}

export function brokerCertPaths(dir: string): { cert: string; key: string } {
  return { cert: join(dir, "broker.crt"), key: join(dir, "broker.key") };
}

/** Creates the CA key and its self-signed certificate in dir. */
export function initSiteCa(options: SiteCaOptions & { name?: string }): IssuedFiles {
  const name = options.name ?? `coolfleet site CA ${randomBytes(3).toString("hex")}`;
  if (!/^[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}$/.test(name)) {
    throw new CoolfleetError(ErrorCode.UsageInvalid, `CA name "${name}": use 1-64 of A-Z a-z 0-9 space . _ - starting with a letter or digit`);
  }
  const days = checkDays(options.days ?? DEFAULT_CA_DAYS);
  const paths = caPaths(options.dir);
  refuseOverwrite([paths.key, paths.cert], options.force, "certs init");
  return issue(options, paths, { commonName: name, profile: "ca", days });
}

/** A host's client certificate: CN = the host id, which the broker ACL uses as the user name. */
export function issueHostCertificate(options: SiteCaOptions & { hostId: string }): IssuedFiles {
  const { hostId } = options;
  if (!isValidHostId(hostId)) {
    throw new CoolfleetError(ErrorCode.UsageInvalid, `--host-id "${hostId}": use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit (the host id rule of the MQTT topics)`);
  }
  if (hostId === CONTROLLER_IDENTITY) {
    throw new CoolfleetError(ErrorCode.UsageInvalid, `--host-id "${hostId}" is reserved: the broker ACL gives that identity the whole fleet; name the host otherwise`);
  }
  const paths = hostCertPaths(options.dir, hostId);
  return issueLeaf(options, paths, { commonName: hostId, profile: "client" }, `certs host --host-id ${hostId}`);
}

/** The controller's client certificate (CN "controller", the ACL's fleet-wide user). */
export function issueControllerCertificate(options: SiteCaOptions): IssuedFiles {
  return issueLeaf(options, controllerCertPaths(options.dir), { commonName: CONTROLLER_IDENTITY, profile: "client" }, "certs controller");
}

/** The broker's server certificate; clients check the address they connect to against its DNS and IP SANs. */
export function issueBrokerCertificate(options: SiteCaOptions & { dns?: readonly string[]; ip?: readonly string[] }): IssuedFiles {
  const dns = options.dns ?? [];
  const ip = options.ip ?? [];
  if (dns.length === 0 && ip.length === 0) {
    throw new CoolfleetError(ErrorCode.UsageInvalid, "certs broker needs at least one --dns or --ip: the names and addresses agents use to reach the broker");
  }
  for (const name of dns) {
    if (!/^(\*\.)?[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*$/.test(name) || name.length > 253) {
      throw new CoolfleetError(ErrorCode.UsageInvalid, `--dns "${name}" is not a DNS name`);
    }
  }
  for (const address of ip) {
    if (isIP(address) === 0) throw new CoolfleetError(ErrorCode.UsageInvalid, `--ip "${address}" is not an IPv4 or IPv6 address`);
  }
  const commonName = dns[0] ?? ip[0] ?? "broker";
  return issueLeaf(options, brokerCertPaths(options.dir), { commonName, profile: "server", dns, ip }, "certs broker");
}

interface LeafSpec {
  commonName: string;
  profile: CertProfile;
  dns?: readonly string[];
  ip?: readonly string[];
}

function issueLeaf(options: SiteCaOptions, paths: { cert: string; key: string }, spec: LeafSpec, command: string): IssuedFiles {
  const ca = caPaths(options.dir);
  const missing = [ca.key, ca.cert].filter((f) => !existsSync(f));
  if (missing.length > 0) {
    throw new CoolfleetError(ErrorCode.UsageInvalid, `no site CA in ${options.dir} (missing ${missing.join(", ")}): run "coolfleet certs init --dir ${options.dir}" first`);
  }
  const days = checkDays(options.days ?? DEFAULT_LEAF_DAYS);
  refuseOverwrite([paths.key, paths.cert], options.force, command);
  return issue(options, paths, { ...spec, days });
}

function checkDays(days: number): number {
  if (!Number.isInteger(days) || days < 1 || days > MAX_DAYS) {
    throw new CoolfleetError(ErrorCode.UsageInvalid, `--days must be a whole number 1-${MAX_DAYS}; got ${days}`);
  }
  return days;
}

function refuseOverwrite(files: string[], force: boolean | undefined, command: string): void {
  if (force) return;
  const existing = files.filter((f) => existsSync(f));
  if (existing.length > 0) {
    const verb = existing.length === 1 ? "exists" : "exist";
    throw new CoolfleetError(ErrorCode.UsageInvalid, `${existing.join(" and ")} already ${verb}; not overwritten. Add --force to "coolfleet ${command}" to replace them`);
  }
}

/**
 * Key and certificate are made in a scratch directory inside dir and renamed into place at the end, so a
 * failure leaves no half-issued pair behind and the key is never readable by others, not even briefly.
 */
function issue(options: SiteCaOptions, paths: { cert: string; key: string }, spec: LeafSpec & { days: number }): IssuedFiles {
  const openssl = options.openssl ?? "openssl";
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const targetDir = join(paths.cert, "..");
  mkdirSync(targetDir, { recursive: true, mode: 0o700 });
  const work = mkdtempSync(join(targetDir, ".issue-"));
  try {
    const key = join(work, "key.pem");
    const cert = join(work, "cert.pem");
    const config = join(work, "openssl.cnf");
    const { privateKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    writeFileSync(key, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
    writeFileSync(config, renderOpensslConfig(spec));
    const serial = `0x${randomBytes(16).toString("hex").replace(/^[89a-f]/, "1")}`;
    const days = String(spec.days);
    if (spec.profile === "ca") {
      runOpenssl(openssl, ["req", "-x509", "-new", "-key", key, "-config", config, "-extensions", "ca", "-set_serial", serial, "-days", days, "-sha256", "-out", cert]);
    } else {
      const csr = join(work, "req.csr");
      const ca = caPaths(options.dir);
      runOpenssl(openssl, ["req", "-new", "-key", key, "-config", config, "-out", csr]);
      runOpenssl(openssl, ["x509", "-req", "-in", csr, "-CA", ca.cert, "-CAkey", ca.key, "-set_serial", serial, "-days", days, "-sha256", "-extfile", config, "-extensions", spec.profile, "-out", cert]);
    }
    chmodSync(cert, 0o644);
    renameSync(key, paths.key);
    renameSync(cert, paths.cert);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return { commonName: spec.commonName, cert: paths.cert, key: paths.key, days: spec.days };
}
