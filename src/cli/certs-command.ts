import type { Command } from "commander";
import {
  DEFAULT_CA_DAYS,
  DEFAULT_LEAF_DAYS,
  initSiteCa,
  issueBrokerCertificate,
  issueControllerCertificate,
  issueHostCertificate,
  type IssuedFiles,
  type SiteCaOptions,
} from "../ops/site-ca.js";
import { parsePositiveNumber } from "./options.js";

interface CommonCliOptions {
  dir: string;
  days?: string;
  force?: boolean;
}

function siteCaOptions(opts: CommonCliOptions): SiteCaOptions {
  return {
    dir: opts.dir,
    force: opts.force === true,
    ...(opts.days !== undefined ? { days: parsePositiveNumber("--days", opts.days, { integer: true, max: 36_500 }) } : {}),
  };
}

function report(issued: IssuedFiles, hint: string): void {
  process.stdout.write(`wrote ${issued.cert} (CN=${issued.commonName}, valid ${issued.days} days)\nwrote ${issued.key} (private key, mode 0600)\n${hint}\n`);
}

const collect = (value: string, previous: string[]): string[] => [...previous, value];

export function registerCertsCommand(program: Command): void {
  const certs = program.command("certs").description("a site CA and the certificates that give each host its own broker identity (see docs/security.md)");
  const common = (cmd: Command, defaultDays: number): Command =>
    cmd
      .requiredOption("--dir <dir>", "directory of the site CA (ca.key, ca.crt) and the certificates it issues")
      .option("--days <n>", `validity in days (default ${defaultDays})`)
      .option("--force", "replace existing files");

  common(certs.command("init").description("create the site CA: a private key (0600) and a self-signed certificate"), DEFAULT_CA_DAYS)
    .option("--name <name>", "the CA's common name (default: coolfleet site CA <random>)")
    .action((opts: CommonCliOptions & { name?: string }) => {
      const issued = initSiteCa({ ...siteCaOptions(opts), ...(opts.name !== undefined ? { name: opts.name } : {}) });
      report(issued, `keep ${issued.key} offline or at least off the broker; copy ${issued.cert} to the broker (cafile) and to every agent and controller (broker.caFile)`);
    });

  common(certs.command("host").description("issue a host's client certificate; its CN is the host id, which the broker ACL uses as the user name"), DEFAULT_LEAF_DAYS)
    .requiredOption("--host-id <id>", "the agent's hostId (as in its config and its MQTT topics)")
    .action((opts: CommonCliOptions & { hostId: string }) => {
      const issued = issueHostCertificate({ ...siteCaOptions(opts), hostId: opts.hostId });
      report(issued, `copy it and its key to host ${opts.hostId} and set broker.certFile and broker.keyFile in its agent config`);
    });

  common(certs.command("controller").description('issue the controller\'s client certificate (CN "controller", the ACL\'s fleet-wide user)'), DEFAULT_LEAF_DAYS).action((opts: CommonCliOptions) => {
    const issued = issueControllerCertificate(siteCaOptions(opts));
    report(issued, "set broker.certFile and broker.keyFile in the controller config");
  });

  common(certs.command("broker").description("issue the broker's server certificate for the names and addresses clients connect to"), DEFAULT_LEAF_DAYS)
    .option("--dns <name>", "a DNS name of the broker (repeatable)", collect, [])
    .option("--ip <address>", "an IP address of the broker (repeatable)", collect, [])
    .action((opts: CommonCliOptions & { dns: string[]; ip: string[] }) => {
      const issued = issueBrokerCertificate({ ...siteCaOptions(opts), dns: opts.dns, ip: opts.ip });
      report(issued, "point mosquitto's certfile and keyfile at them (config/mosquitto/tls.conf); the key must be readable by the mosquitto user");
    });
}
