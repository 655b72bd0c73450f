import { X509Certificate, createPrivateKey } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ErrorCode, isCoolfleetError } from "../../src/core/errors.js";
import {
  brokerCertPaths,
  caPaths,
  controllerCertPaths,
  hostCertPaths,
  initSiteCa,
  issueBrokerCertificate,
  issueControllerCertificate,
  issueHostCertificate,
} from "../../src/ops/site-ca.js";
import { brokerTlsOptions } from "../../src/config/broker-tls.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "coolfleet-ca-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function cert(file: string): X509Certificate {
  return new X509Certificate(readFileSync(file));
}

function mode(file: string): number {
  return statSync(file).mode & 0o777;
}

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (isCoolfleetError(err, ErrorCode.UsageInvalid)) return err.message;
    throw err;
  }
  throw new Error("expected a UsageInvalid CoolfleetError");
}

describe("site CA", () => {
  it("creates a self-signed CA with a 0600 key in a 0700 directory", () => {
    const caDir = join(dir, "site");
    const issued = initSiteCa({ dir: caDir, name: "test CA", days: 30 });
    const ca = cert(caPaths(caDir).cert);
    expect(issued.commonName).toBe("test CA");
    expect(ca.subject).toBe("CN=test CA");
    expect(ca.issuer).toBe(ca.subject);
    expect(ca.ca).toBe(true);
    expect(ca.verify(ca.publicKey)).toBe(true);
    expect(ca.checkPrivateKey(createPrivateKey(readFileSync(caPaths(caDir).key)))).toBe(true);
    expect(mode(caPaths(caDir).key)).toBe(0o600);
    expect(mode(caPaths(caDir).cert)).toBe(0o644);
    expect(mode(caDir)).toBe(0o700);
    const validDays = (Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / 86_400_000;
    expect(Math.round(validDays)).toBe(30);
    // No scratch directory is left behind.
    expect(readdirSync(caDir).sort()).toEqual(["ca.crt", "ca.key"]);
  });

  it("gives every CA its own name, so two sites' CAs are never confused", () => {
    initSiteCa({ dir: join(dir, "a") });
    initSiteCa({ dir: join(dir, "b") });
    expect(cert(caPaths(join(dir, "a")).cert).subject).not.toBe(cert(caPaths(join(dir, "b")).cert).subject);
  });

  it("issues host, controller and broker certificates signed by the CA, with the right subjects, usages and SANs", () => {
    initSiteCa({ dir });
    const ca = cert(caPaths(dir).cert);
    issueHostCertificate({ dir, hostId: "rack12-node07" });
    issueControllerCertificate({ dir });
    issueBrokerCertificate({ dir, dns: ["localhost", "mqtt.site.example"], ip: ["127.0.0.1", "::1"] });

    const host = cert(hostCertPaths(dir, "rack12-node07").cert);
    expect(host.subject).toBe("CN=rack12-node07");
    expect(host.issuer).toBe(ca.subject);
    expect(host.verify(ca.publicKey)).toBe(true);
    expect(host.ca).toBe(false);
    expect(host.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]); // clientAuth only
    expect(host.subjectAltName).toBeUndefined();
    expect(host.checkPrivateKey(createPrivateKey(readFileSync(hostCertPaths(dir, "rack12-node07").key)))).toBe(true);

    const controller = cert(controllerCertPaths(dir).cert);
    expect(controller.subject).toBe("CN=controller");
    expect(controller.verify(ca.publicKey)).toBe(true);
    expect(controller.keyUsage).toEqual(["1.3.6.1.5.5.7.3.2"]);

    const broker = cert(brokerCertPaths(dir).cert);
    expect(broker.subject).toBe("CN=localhost");
    expect(broker.verify(ca.publicKey)).toBe(true);
    expect(broker.keyUsage).toEqual(["1.3.6.1.5.5.7.3.1"]); // serverAuth only
    expect(broker.subjectAltName).toBe("DNS:localhost, DNS:mqtt.site.example, IP Address:127.0.0.1, IP Address:0:0:0:0:0:0:0:1");
    expect(broker.checkHost("mqtt.site.example")).toBe("mqtt.site.example");
    expect(broker.checkIP("127.0.0.1")).toBe("127.0.0.1");

    for (const key of [hostCertPaths(dir, "rack12-node07").key, controllerCertPaths(dir).key, brokerCertPaths(dir).key]) expect(mode(key)).toBe(0o600);
    for (const crt of [hostCertPaths(dir, "rack12-node07").cert, controllerCertPaths(dir).cert, brokerCertPaths(dir).cert]) expect(mode(crt)).toBe(0o644);
    // Serial numbers are random, not a counter.
    expect(new Set([ca.serialNumber, host.serialNumber, controller.serialNumber, broker.serialNumber]).size).toBe(4);
  });

  it("refuses to overwrite existing files without force, and replaces them with it", () => {
    initSiteCa({ dir });
    const caPem = readFileSync(caPaths(dir).cert, "utf8");
    expect(usageError(() => initSiteCa({ dir }))).toMatch(/ca\.key and .*ca\.crt already exist; not overwritten\. Add --force to "coolfleet certs init"/);
    expect(readFileSync(caPaths(dir).cert, "utf8")).toBe(caPem);

    issueHostCertificate({ dir, hostId: "host-a" });
    const hostPem = readFileSync(hostCertPaths(dir, "host-a").cert, "utf8");
    expect(usageError(() => issueHostCertificate({ dir, hostId: "host-a" }))).toMatch(/host-a\.key and .*host-a\.crt already exist.*Add --force to "coolfleet certs host --host-id host-a"/);
    expect(readFileSync(hostCertPaths(dir, "host-a").cert, "utf8")).toBe(hostPem);

    // A key someone loosened is tightened again when it is replaced.
    writeFileSync(hostCertPaths(dir, "host-a").key, "old", { mode: 0o644 });
    issueHostCertificate({ dir, hostId: "host-a", force: true });
    expect(readFileSync(hostCertPaths(dir, "host-a").cert, "utf8")).not.toBe(hostPem);
    expect(mode(hostCertPaths(dir, "host-a").key)).toBe(0o600);
  });

  it("rejects host ids the topics do not allow, the controller's identity, and missing CAs", () => {
    initSiteCa({ dir });
    expect(usageError(() => issueHostCertificate({ dir, hostId: "a/b" }))).toMatch(/--host-id "a\/b": use 1-64/);
    expect(usageError(() => issueHostCertificate({ dir, hostId: "+" }))).toMatch(/--host-id/);
    expect(usageError(() => issueHostCertificate({ dir, hostId: "controller" }))).toMatch(/reserved/);
    expect(usageError(() => issueBrokerCertificate({ dir }))).toMatch(/at least one --dns or --ip/);
    expect(usageError(() => issueBrokerCertificate({ dir, ip: ["300.1.1.1"] }))).toMatch(/--ip "300.1.1.1"/);
    expect(usageError(() => issueBrokerCertificate({ dir, dns: ["bad name"] }))).toMatch(/--dns "bad name"/);
    expect(usageError(() => issueControllerCertificate({ dir, days: 0 }))).toMatch(/--days/);
    const empty = join(dir, "empty");
    expect(usageError(() => issueControllerCertificate({ dir: empty }))).toMatch(/no site CA in .*empty.*coolfleet certs init --dir/);
  });

  it("says what to install when openssl is missing, and leaves nothing behind", () => {
    expect(usageError(() => initSiteCa({ dir, openssl: "/nonexistent/openssl" }))).toMatch(/openssl command was not found.*apt-get install openssl/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe("broker TLS options for the agent and controller", () => {
  it("reads the files a broker block names", () => {
    initSiteCa({ dir });
    issueControllerCertificate({ dir });
    const paths = controllerCertPaths(dir);
    const tls = brokerTlsOptions({ url: "mqtts://127.0.0.1:8883", caFile: caPaths(dir).cert, certFile: paths.cert, keyFile: paths.key });
    expect(tls.ca).toContain("BEGIN CERTIFICATE");
    expect(tls.cert).toContain("BEGIN CERTIFICATE");
    expect(tls.key).toContain("PRIVATE KEY");
    expect(brokerTlsOptions({ url: "mqtt://127.0.0.1:1883" })).toEqual({});
  });

  it("names the key when a file is unreadable or the block is inconsistent", () => {
    const err = (fn: () => unknown): string => {
      try {
        fn();
      } catch (e) {
        if (isCoolfleetError(e)) return `${e.code}: ${e.message}`;
        throw e;
      }
      throw new Error("expected a CoolfleetError");
    };
    expect(err(() => brokerTlsOptions({ url: "mqtts://h", caFile: join(dir, "nope.crt") }))).toMatch(/CONFIG_UNREADABLE: broker\.caFile: cannot read .*nope\.crt/);
    expect(err(() => brokerTlsOptions({ url: "mqtts://h", certFile: join(dir, "x.crt") }))).toMatch(/CONFIG_INVALID: broker\.certFile and broker\.keyFile go together/);
    expect(err(() => brokerTlsOptions({ url: "mqtt://h", caFile: join(dir, "x.crt") }))).toMatch(/CONFIG_INVALID: broker\.caFile.*needs an mqtts:\/\/ or wss:\/\/ broker\.url/);
  });
});
