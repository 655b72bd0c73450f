import type { Command } from "commander";
import { loadControllerConfig, parseControllerConfig } from "../config/load.js";
import { SystemClock } from "../core/clock.js";
import { createLogger } from "../core/logger.js";
import { startControllerService } from "../controller/controller-service.js";
import { describeStore } from "../controller/store/describe-store.js";
import { superviseController } from "../ops/controller-supervision.js";
import { parseLogLevel, parsePort } from "./options.js";
import { stopOnSignals } from "./shutdown.js";

interface ControllerCliOptions {
  config: string;
  port?: string;
  broker?: string;
  logLevel: string;
}

export function registerControllerCommand(program: Command): void {
  program
    .command("controller")
    .description("run the fleet controller: ingest, store, host state machine, planner, HTTP API and dashboard")
    .requiredOption("-c, --config <file>", "controller config file (YAML)")
    .option("--port <port>", "override http.port")
    .option("--broker <url>", "override broker.url")
    .option("--log-level <level>", "fatal, error, warn, info, debug, trace or silent", "info")
    .action(async (opts: ControllerCliOptions) => {
      const logger = createLogger(parseLogLevel(opts.logLevel), "coolfleet-controller");
      const fileConfig = loadControllerConfig(opts.config, { onWarning: (message) => logger.warn(message) });
      const config = parseControllerConfig(
        {
          ...fileConfig,
          http: { ...fileConfig.http, ...(opts.port !== undefined ? { port: parsePort("--port", opts.port) } : {}) },
          broker: { ...fileConfig.broker, ...(opts.broker ? { url: opts.broker } : {}) },
        },
        `${opts.config} (with command-line overrides)`,
      );
      const clock = new SystemClock();
      const service = await startControllerService({ config, clock, logger });
      process.stdout.write(`coolfleet controller: dashboard ${service.http.url}  broker ${config.broker.url}  store ${describeStore(config.store)}\n`);
      // ops: sd_notify READY (broker connected, HTTP listening), WATCHDOG from the fleet loop, STOPPING.
      const systemd = superviseController(service.controller, { clock, logger, dashboardUrl: service.http.url, brokerUrl: config.broker.url });
      stopOnSignals(logger, "controller", () => Promise.all([systemd.stopping(), service.stop()]));
      await systemd.ready();
    });
}
