import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { SystemClock, type Clock } from "../../core/clock.js";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { addApiRoutes, type HealthFields } from "./api-routes.js";
import { FleetEventStream } from "./fleet-event-stream.js";
import { HTTP_DEFAULTS } from "./http-defaults.js";
import { HttpError } from "./http-error.js";
import { sendJson } from "./json-response.js";
import type { FleetReadModel } from "./read-model.js";
import { Router } from "./router.js";
import { DashboardFiles } from "./static-files.js";

export interface HttpServerOptions {
  host: string;
  /** 0 picks a free port (tests); the handle reports the one bound. */
  port: number;
  readModel: FleetReadModel;
  logger: Logger;
  /** The esbuild output: index.html and assets/ (see defaultDashboardDir()). */
  staticDir: string;
  /** Extra fields merged into GET /healthz. */
  health?: HealthFields;
  clock?: Clock;
  sseHeartbeatMs?: number;
  sseMaxBufferedBytes?: number;
  /** Prometheus text exposition served on GET /metrics. */
  metrics?: MetricsSource;
}

export interface MetricsSource {
  renderMetrics(): Promise<string>;
  readonly contentType: string;
}

export interface HttpServerHandle {
  /** Base URL to print and to open, e.g. http://127.0.0.1:8080 */
  url: string;
  port: number;
  /** Ends event streams, stops listening and waits for open requests to finish. */
  close(): Promise<void>;
}

/** The controller's HTTP server: JSON API, Server-Sent Events and the dashboard, on node:http. */
export async function startHttpServer(options: HttpServerOptions): Promise<HttpServerHandle> {
  const logger = options.logger.child({ module: "http" });
  const clock = options.clock ?? new SystemClock();
  const events = new FleetEventStream(options.readModel, clock, logger, {
    heartbeatMs: options.sseHeartbeatMs ?? HTTP_DEFAULTS.sseHeartbeatMs,
    maxBufferedBytes: options.sseMaxBufferedBytes ?? HTTP_DEFAULTS.sseMaxBufferedBytes,
    retryMs: HTTP_DEFAULTS.sseRetryMs,
  });
  const dashboard = new DashboardFiles(options.staticDir);

  const router = addApiRoutes(new Router(), { readModel: options.readModel, clock, health: options.health })
    .get("/api/events", ({ req, res }) => events.open(req, res))
    .get("/", ({ res }) => dashboard.sendIndex(res))
    .get("/index.html", ({ res }) => dashboard.sendIndex(res))
    .get("/assets/*", ({ res, params }) => dashboard.sendAsset(res, params.rest));
  const metrics = options.metrics;
  if (metrics) {
    router.get("/metrics", async ({ res }) => {
      const body = await metrics.renderMetrics();
      res.writeHead(200, { "content-type": metrics.contentType, "cache-control": "no-store" });
      res.end(body);
    });
  }

  const server = createServer((req, res) => {
    handleRequest(router, req, res).catch((err: unknown) => respondWithError(res, err, logger, req));
  });

  const port = await listen(server, options.host, options.port);
  const url = `http://${urlHost(options.host)}:${port}`;
  logger.info({ url }, "HTTP server listening");

  return {
    url,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        events.closeAll();
        server.close((err) => (err ? reject(err) : resolve()));
        // Idle keep-alive sockets would hold close() open for the keep-alive timeout.
        server.closeIdleConnections();
      }),
  };
}

async function handleRequest(router: Router, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method !== "GET") {
    throw new HttpError(405, `method ${req.method ?? "?"} not allowed: this server is read-only, use GET`);
  }
  // Concatenated, not resolved: "//x/y" as a base-relative URL would turn "x" into a host name.
  const target = req.url ?? "/";
  const url = parseTarget(target);
  const match = router.match(url.pathname);
  if (!match) throw new HttpError(404, `no route for GET ${url.pathname}`);
  await match.handler({ req, res, url, params: match.params });
}

function parseTarget(target: string): URL {
  try {
    return target.startsWith("/") ? new URL(`http://localhost${target}`) : new URL(target);
  } catch {
    throw new HttpError(400, `malformed request target "${target.slice(0, 200)}"`);
  }
}

function respondWithError(res: ServerResponse, err: unknown, logger: Logger, req: IncomingMessage): void {
  if (res.headersSent) {
    // Too late for a status: cut the connection so the client sees a failure, not a truncated success.
    logger.error({ err: errorMessage(err), path: req.url }, "request failed after the response started");
    res.destroy();
    return;
  }
  if (err instanceof HttpError) {
    sendJson(res, err.status, { error: err.message }, err.status === 405 ? { allow: "GET" } : {});
    return;
  }
  logger.error({ err: errorMessage(err), path: req.url }, "request failed");
  sendJson(res, 500, { error: errorMessage(err) });
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function listen(server: ReturnType<typeof createServer>, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException): void => reject(listenError(err, host, port));
    server.once("error", onError);
    server.listen(port, host, () => {
      server.off("error", onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  if (err.code === "EADDRINUSE") {
    return new CoolfleetError(
      ErrorCode.UsageInvalid,
      `HTTP port ${port} on ${host} is already in use (another controller or demo running?); stop it or choose another port with --port`,
      { cause: err },
    );
  }
  if (err.code === "EACCES") {
    return new CoolfleetError(
      ErrorCode.UsageInvalid,
      `not allowed to listen on port ${port} on ${host} (ports below 1024 need privileges); choose another port with --port`,
      { cause: err },
    );
  }
  if (err.code === "EADDRNOTAVAIL" || err.code === "ENOTFOUND") {
    return new CoolfleetError(ErrorCode.UsageInvalid, `cannot listen on host "${host}": no such local address; check --host`, {
      cause: err,
    });
  }
  return err;
}

/** A wildcard bind is reachable on loopback; print that, so the URL can be opened as is. */
function urlHost(host: string): string {
  if (host === "0.0.0.0" || host === "") return "127.0.0.1";
  if (host === "::") return "[::1]";
  return host.includes(":") ? `[${host}]` : host;
}
