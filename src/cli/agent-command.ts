import type { Command } from "commander";
import { assembleAgent } from "../agent/assemble.js";
import { listSensors } from "../agent/list-sensors.js";
import { loadAgentConfig, parseAgentConfig, resolveHostId } from "../config/load.js";
import { SystemClock } from "../core/clock.js";
import { createLogger, LOG_LEVELS } from "../core/logger.js";
import { recordFirmwareModesForRestore, superviseAgent } from "../ops/agent-service.js";
import { runRestoreFirmware } from "../ops/restore-firmware-run.js";
import { parseLogLevel } from "./options.js";
import { stopOnSignals } from "./shutdown.js";

interface AgentCliOptions {
  config: string;
  hostId?: string;
  root?: string;
  broker?: string;
  logLevel: string;
  listSensors?: boolean;
  restoreFirmware?: boolean;
}

export function registerAgentCommand(program: Command): void {
  program
    .command("agent")
    .description("run the per-host cooling agent: sensors, safety governor, local control, MQTT link")
    .requiredOption("-c, --config <file>", "agent config file (YAML)")
    .option("--host-id <id>", "override hostId from the config")
    .option("--root <dir>", "override root: where /sys and /proc are read (a simulated host's tree)")
    .option("--broker <url>", "override broker.url")
    .option("--log-level <level>", `one of ${LOG_LEVELS.join(", ")}`, "info")
    .option("--list-sensors", "print every sensor the agent reads on this host (hwmon, procfs and each bus the config names), with current values, and exit; no fan or pump is touched")
    .option("--restore-firmware", "hand every configured fan and pump back to firmware automatic control and exit (the unit's ExecStopPost; safe while no agent runs)")
    .action(async (opts: AgentCliOptions) => {
      const logger = createLogger(parseLogLevel(opts.logLevel), "coolfleet-agent");
      const onWarning = (message: string): void => logger.warn(message);
      // ops: before the config is validated — it must work from the recorded modes even when the config is broken.
      if (opts.restoreFirmware) {
        process.exitCode = runRestoreFirmware({ configFile: opts.config, ...(opts.root ? { root: opts.root } : {}), print: (line) => process.stdout.write(`${line}\n`), onWarning });
        return;
      }
      const fileConfig = loadAgentConfig(opts.config, { onWarning });
      // Overrides go through the same validation as the file, so a bad --broker is caught the same way.
      const config = parseAgentConfig(
        {
          ...fileConfig,
          ...(opts.root ? { root: opts.root } : {}),
          broker: { ...fileConfig.broker, ...(opts.broker ? { url: opts.broker } : {}) },
          ...(opts.hostId ? { hostId: opts.hostId } : {}),
        },
        `${opts.config} (with command-line overrides)`,
      );
      const hostId = resolveHostId(config, opts.hostId);
      const clock = new SystemClock();

      if (opts.listSensors) {
        await listSensors(config, clock, logger, (line) => void process.stdout.write(`${line}\n`));
        return;
      }

      recordFirmwareModesForRestore(config, clock, logger); // ops: for --restore-firmware after a crash
      const agent = await assembleAgent({ config, hostId, clock, logger });
      const service = superviseAgent(agent, { config, hostId, clock, logger }); // ops: sd_notify READY/WATCHDOG/STOPPING
      stopOnSignals(logger, "handing fans back to firmware", () => Promise.all([service.stopping(), agent.stop()]));
      process.on("uncaughtException", (err) => {
        logger.fatal({ err: err.message, stack: err.stack }, "uncaught exception; handing fans back to firmware");
        void agent.stop().finally(() => process.exit(1));
      });
      await agent.start();
      await service.ready();
    });
}
