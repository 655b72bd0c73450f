#!/usr/bin/env node
import { Command } from "commander";
import { isCoolfleetError } from "../core/errors.js";
import { packageVersion } from "../core/version.js";

type Registrar = (program: Command) => void;

/**
 * Each sub-command's module is loaded only when that command runs (all of them for the top-level help), so the
 * agent — a long-running process on every host — never loads the controller's store, the dashboard server, the
 * simulator or TensorFlow.js.
 */
const COMMANDS: Record<string, () => Promise<Registrar>> = {
  agent: async () => (await import("./agent-command.js")).registerAgentCommand,
  controller: async () => (await import("./controller-command.js")).registerControllerCommand,
  sim: async () => (await import("./sim-command.js")).registerSimCommand,
  demo: async () => (await import("./demo-command.js")).registerDemoCommand,
  status: async () => (await import("./status-command.js")).registerStatusCommand,
  config: async () => (await import("./config-command.js")).registerConfigCommand,
  bench: async () => (await import("./bench-command.js")).registerBenchCommand,
  model: async () => (await import("./model-command.js")).registerModelCommand,
  certs: async () => (await import("./certs-command.js")).registerCertsCommand,
};

async function main(): Promise<void> {
  const program = new Command()
    .name("coolfleet")
    .description("Stateful cooling control for server fleets")
    .version(packageVersion())
    .showHelpAfterError();
  const requested = process.argv[2];
  const names = requested !== undefined && requested in COMMANDS ? [requested] : Object.keys(COMMANDS);
  for (const name of names) (await COMMANDS[name]!())(program);
  await program.parseAsync(process.argv);
}

main().catch((err: unknown) => {
  if (isCoolfleetError(err)) {
    process.stderr.write(`coolfleet: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`coolfleet: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
