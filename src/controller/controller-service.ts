import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import type { ControllerConfig } from "../config/controller-schema.js";
import type { Clock } from "../core/clock.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { FleetController } from "./controller.js";
import { startHttpServer, type HttpServerHandle } from "./http/server.js";
import { defaultDashboardDir } from "./http/static-files.js";
import type { PlanningPolicy } from "./planner/index.js";
import { SqliteTelemetryStore } from "./store/index.js";

export interface ControllerService {
  controller: FleetController;
  http: HttpServerHandle;
  store: SqliteTelemetryStore;
  /** Stops in order: HTTP, planning and ingest (flushing accepted telemetry), then the store. */
  stop(): Promise<void>;
}

function readPassword(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, "utf8").trimEnd();
  } catch (err) {
    throw new CoolfleetError(ErrorCode.ConfigUnreadable, `broker.passwordFile: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}

function openStore(path: string): SqliteTelemetryStore {
  if (path !== ":memory:") {
    try {
      mkdirSync(dirname(path), { recursive: true });
    } catch (err) {
      throw new CoolfleetError(ErrorCode.ConfigInvalid, `store.path: cannot create the directory of ${path}: ${(err as Error).message}`, { cause: err });
    }
  }
  return new SqliteTelemetryStore(path);
}

/** Store, controller and HTTP server together, as `coolfleet controller` and the demo run them. */
export async function startControllerService(opts: { config: ControllerConfig; clock: Clock; logger: Logger; policy?: PlanningPolicy }): Promise<ControllerService> {
  const { config, clock, logger } = opts;
  const store = openStore(config.store.path);
  const password = readPassword(config.broker.passwordFile);
  const controller = new FleetController({ config, clock, logger, store, ...(password !== undefined ? { password } : {}), ...(opts.policy ? { policy: opts.policy } : {}) });
  try {
    await controller.start();
    const http = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      readModel: controller,
      logger,
      staticDir: defaultDashboardDir(),
      clock,
      health: () => ({ ingest: controller.ingestStats(), commands: controller.commandStats(), policy: controller.policyId }),
    });
    return {
      controller,
      http,
      store,
      async stop() {
        await http.close();
        await controller.stop();
        await store.close();
      },
    };
  } catch (err) {
    await controller.stop().catch(() => undefined);
    await store.close();
    throw err;
  }
}
