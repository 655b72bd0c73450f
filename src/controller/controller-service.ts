import type { ControllerConfig } from "../config/controller-schema.js";
import type { Clock } from "../core/clock.js";
import { readSecretFile } from "../config/secret-file.js";
import type { Logger } from "../core/logger.js";
import { observeAckLatency } from "../ops/ack-latency-store.js";
import { ControllerMetrics } from "../ops/controller-metrics.js";
import type { ModelService } from "./model/model-service.js";
import { FleetController } from "./controller.js";
import { startHttpServer, type HttpServerHandle } from "./http/server.js";
import { defaultDashboardDir } from "./http/static-files.js";
import type { PlanningPolicy } from "./planner/index.js";
import { openTelemetryStore, type TelemetryStore } from "./store/index.js";

export interface ControllerService {
  controller: FleetController;
  http: HttpServerHandle;
  store: TelemetryStore;
  /** Prometheus metrics over the controller: metrics.renderMetrics() with metrics.contentType serves GET /metrics. */
  metrics: ControllerMetrics;
  /** The mpc policy's model and its retraining; undefined for the other policies. */
  models: ModelService | undefined;
  /** Stops in order: HTTP, planning and ingest (flushing accepted telemetry), then the store. */
  stop(): Promise<void>;
}

/** Store, controller and HTTP server together, as `coolfleet controller` and the demo run them. */
export async function startControllerService(opts: { config: ControllerConfig; clock: Clock; logger: Logger; policy?: PlanningPolicy }): Promise<ControllerService> {
  const { config, clock, logger } = opts;
  const store = await openTelemetryStore(config.store);
  const password = readSecretFile("broker.passwordFile", config.broker.passwordFile);
  // ops: the store reports each first ack's latency to the metrics' histogram.
  const metricsRef: { current?: ControllerMetrics } = {};
  const observedStore = observeAckLatency(store, (latencyMs) => metricsRef.current?.observeAckLatencyMs(latencyMs));
  // The mpc policy needs its model loaded (and retrained on schedule); b1 and b2 are built by the controller.
  // Loaded only then: TensorFlow.js stays out of a controller that does not plan with it.
  const models: ModelService | undefined =
    opts.policy === undefined && config.planner.policy === "mpc"
      ? await (await import("./model/model-service.js")).startModelService({ config, logger: logger.child({ part: "model" }) })
      : undefined;
  const policy = opts.policy ?? models?.policy;
  const controller = new FleetController({ config, clock, logger, store: observedStore, ...(password !== undefined ? { password } : {}), ...(policy ? { policy } : {}) });
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
      models,
      async stop() {
        await http.close();
        metrics.close();
        await controller.stop();
        await models?.stop();
        await store.close();
      },
    };
  } catch (err) {
    await controller.stop().catch(() => undefined);
    await models?.stop();
    await store.close();
    throw err;
  }
}
