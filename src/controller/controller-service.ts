import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import type { ControllerConfig } from "../config/controller-schema.js";
import type { Clock } from "../core/clock.js";
import { readSecretFile } from "../config/secret-file.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import type { Logger } from "../core/logger.js";
import { observeAckLatency } from "../ops/ack-latency-store.js";
import { ControllerMetrics } from "../ops/controller-metrics.js";
import { FleetController } from "./controller.js";
import { startHttpServer, type HttpServerHandle } from "./http/server.js";
import { defaultDashboardDir } from "./http/static-files.js";
import type { PlanningPolicy } from "./planner/index.js";
import { SqliteTelemetryStore } from "./store/index.js";

export interface ControllerService {
  controller: FleetController;
  http: HttpServerHandle;
  store: SqliteTelemetryStore;
  /** Prometheus metrics over the controller: metrics.renderMetrics() with metrics.contentType serves GET /metrics. */
  metrics: ControllerMetrics;
  /** Stops in order: HTTP, planning and ingest (flushing accepted telemetry), then the store. */
  stop(): Promise<void>;
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
  const password = readSecretFile("broker.passwordFile", config.broker.passwordFile);
  // ops: the store reports each first ack's latency to the metrics' histogram.
  const metricsRef: { current?: ControllerMetrics } = {};
  const observedStore = observeAckLatency(store, (latencyMs) => metricsRef.current?.observeAckLatencyMs(latencyMs));
  const controller = new FleetController({ config, clock, logger, store: observedStore, ...(password !== undefined ? { password } : {}), ...(opts.policy ? { policy: opts.policy } : {}) });
  const metrics = (metricsRef.current = new ControllerMetrics(controller));
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
      metrics,
    });
    return {
      controller,
      http,
      store,
      metrics,
      async stop() {
        await http.close();
        metrics.close();
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
