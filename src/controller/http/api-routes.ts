import type { Clock } from "../../core/clock.js";
import type { ApiHostDetail } from "./api-types.js";
import { toApiHost } from "./host-hottest.js";
import { HTTP_DEFAULTS } from "./http-defaults.js";
import { HttpError } from "./http-error.js";
import { sendJson } from "./json-response.js";
import { parseLimit, parseTimeRange } from "./query-params.js";
import type { FleetReadModel } from "./read-model.js";
import type { Router } from "./router.js";

/** Extra fields for /healthz from the process that runs the server (broker link, store, uptime…). */
export type HealthFields = () => Record<string, unknown> | Promise<Record<string, unknown>>;

export interface ApiRouteDeps {
  readModel: FleetReadModel;
  clock: Clock;
  health?: HealthFields | undefined;
}

/** The JSON API: read-only views of the fleet over the read model. */
export function addApiRoutes(router: Router, deps: ApiRouteDeps): Router {
  const { readModel, clock } = deps;
  return router
    .get("/healthz", async ({ res }) => {
      const extra = deps.health ? await deps.health() : {};
      sendJson(res, 200, { ...extra, status: "ok" });
    })
    .get("/api/hosts", ({ res }) => {
      sendJson(res, 200, readModel.hosts().map(toApiHost));
    })
    .get("/api/hosts/:id", ({ res, params }) => {
      const found = readModel.host(params.id);
      if (!found) throw unknownHost(params.id);
      const detail: ApiHostDetail = { view: toApiHost(found.view), birth: found.birth ?? null };
      sendJson(res, 200, detail);
    })
    .get("/api/hosts/:id/telemetry", async ({ res, params, url }) => {
      const range = parseTimeRange(url.searchParams, clock.nowMs(), { spanMs: HTTP_DEFAULTS.telemetrySpanMs });
      const limit = parseLimit(url.searchParams, HTTP_DEFAULTS.telemetryLimit, HTTP_DEFAULTS.telemetryLimitMax);
      requireHost(readModel, params.id);
      sendJson(res, 200, await readModel.telemetry(params.id, range.fromMs, range.toMs, limit));
    })
    .get("/api/hosts/:id/transitions", async ({ res, params, url }) => {
      const range = parseTimeRange(url.searchParams, clock.nowMs(), {
        spanMs: HTTP_DEFAULTS.telemetrySpanMs,
        fromMs: HTTP_DEFAULTS.transitionsFromMs,
      });
      requireHost(readModel, params.id);
      sendJson(res, 200, await readModel.transitions(params.id, range.fromMs, range.toMs));
    })
    .get("/api/summary", async ({ res }) => {
      sendJson(res, 200, await readModel.summary());
    });
}

function requireHost(readModel: FleetReadModel, hostId: string): void {
  if (!readModel.host(hostId)) throw unknownHost(hostId);
}

function unknownHost(hostId: string): HttpError {
  return new HttpError(404, `unknown host "${hostId}"; GET /api/hosts lists the hosts this controller knows`);
}
