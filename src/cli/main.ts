#!/usr/bin/env node
import { Command } from "commander";
import { isCoolfleetError } from "../core/errors.js";
import { packageVersion } from "../core/version.js";
import { registerAgentCommand } from "./agent-command.js";
import { registerConfigCommand } from "./config-command.js";
import { registerControllerCommand } from "./controller-command.js";
import { registerDemoCommand } from "./demo-command.js";
import { registerSimCommand } from "./sim-command.js";
import { registerStatusCommand } from "./status-command.js";

const program = new Command()
  .name("coolfleet")
  .description("Stateful cooling control for server fleets")
  .version(packageVersion())
  .showHelpAfterError();

registerAgentCommand(program);
registerControllerCommand(program);
registerSimCommand(program);
registerDemoCommand(program);
registerStatusCommand(program);
registerConfigCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (isCoolfleetError(err)) {
    process.stderr.write(`coolfleet: ${err.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`coolfleet: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
