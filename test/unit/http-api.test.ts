import { request } from "node:http";
import { Writable } from "node:stream";
import { pino } from "pino";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import type { ApiHost, ApiHostDetail } from "../../src/controller/http/api-types.js";
import { hottestTemperature } from "../../src/controller/http/host-hottest.js";
import { startHttpServer, type HttpServerHandle } from "../../src/controller/http/server.js";
import { ManualClock } from "../../src/core/clock.js";
import { ErrorCode, isCoolfleetError } from "../../src/core/errors.js";
import { silentLogger } from "../../src/core/logger.js";
import { FakeReadModel, hostBirth, hostView, telemetryPoint } from "../fixtures/fake-read-model.js";

const JSON_TYPE = "application/json; charset=utf-8";
const MINUTE_MS = 60_000;

/** Error lines the server logged, to check a 500 is logged and not only answered. */
class LogCapture extends Writable {
  readonly lines: Array<Record<string, unknown>> = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.lines.push(JSON.parse(chunk.toString("utf8")) as Record<string, unknown>);
    done();
  }
}

async function getJson<T>(url: string): Promise<{ status: number; type: string | null; body: T }> {
  const res = await fetch(url);
  return { status: res.status, type: res.headers.get("content-type"), body: (await res.json()) as T };
}

describe("HTTP API", () => {
  let fake: FakeReadModel;
  let clock: ManualClock;
  let server: HttpServerHandle;
  let log: LogCapture;

  beforeEach(async () => {
    clock = new ManualClock();
    fake = new FakeReadModel()
      .addHost(hostView("r740-01"), hostBirth("r740-01"))
      .addHost(hostView("r740-02", { state: "Cooling", online: false }));
    log = new LogCapture();
    server = await startHttpServer({
      host: "127.0.0.1",
      port: 0,
      readModel: fake,
      logger: pino({ level: "warn" }, log),
      staticDir: "/nonexistent/coolfleet-dashboard",
      clock,
      health: () => ({ broker: "connected" }),
    });
  });

  afterEach(async () => {
    await server.close();
  });

  it("binds a free port when asked for port 0 and reports its URL", () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it("GET /healthz answers ok with the controller's extra fields", async () => {
    const { status, type, body } = await getJson(`${server.url}/healthz`);
    expect(status).toBe(200);
    expect(type).toBe(JSON_TYPE);
    expect(body).toEqual({ status: "ok", broker: "connected" });
  });

  it("GET /api/hosts lists every host with its hottest controlled temperature", async () => {
    const { status, type, body } = await getJson<ApiHost[]>(`${server.url}/api/hosts`);
    expect(status).toBe(200);
    expect(type).toBe(JSON_TYPE);
    expect(body.map((h) => h.hostId)).toEqual(["r740-01", "r740-02"]);
    expect(body[1]!.state).toBe("Cooling");
    // cpu0 71/85 has 14 K headroom, sda 41/45 only 4 K: the drive is the hottest.
    expect(body[0]!.hottest).toEqual({ id: "sda", role: "drive", tempC: 41, targetC: 45, criticalC: 55 });
  });

  it("GET /api/hosts/:id returns the view and birth, null birth when unknown, 404 JSON for an unknown host", async () => {
    const one = await getJson<ApiHostDetail>(`${server.url}/api/hosts/r740-01`);
    expect(one.status).toBe(200);
    expect(one.body.view.hostId).toBe("r740-01");
    expect(one.body.view.hottest?.id).toBe("sda");
    expect(one.body.birth?.agentVersion).toBe("0.1.0");

    const noBirth = await getJson<ApiHostDetail>(`${server.url}/api/hosts/r740-02`);
    expect(noBirth.body.birth).toBeNull();

    const missing = await getJson<{ error: string }>(`${server.url}/api/hosts/nope-99`);
    expect(missing.status).toBe(404);
    expect(missing.type).toBe(JSON_TYPE);
    expect(missing.body.error).toContain("nope-99");
  });

  it("GET telemetry defaults to the last 15 minutes and 5000 points", async () => {
    const now = clock.nowMs();
    fake.addTelemetry("r740-01", telemetryPoint(now - 20 * MINUTE_MS, 1), telemetryPoint(now - MINUTE_MS, 2));
    const { status, body } = await getJson<Array<{ seq: number }>>(`${server.url}/api/hosts/r740-01/telemetry`);
    expect(status).toBe(200);
    expect(body.map((p) => p.seq)).toEqual([2]);
    expect(fake.telemetryCalls).toEqual([{ hostId: "r740-01", fromMs: now - 15 * MINUTE_MS, toMs: now, limit: 5000 }]);
  });

  it("GET telemetry passes an explicit range and limit through", async () => {
    const { status } = await getJson(`${server.url}/api/hosts/r740-01/telemetry?from=1000&to=2000&limit=50000`);
    expect(status).toBe(200);
    expect(fake.telemetryCalls.at(-1)).toEqual({ hostId: "r740-01", fromMs: 1000, toMs: 2000, limit: 50000 });
  });

  it.each([
    ["from=abc", "from"],
    ["to=1e12", "to"],
    ["from=-5", "from"],
    ["limit=0", "limit"],
    ["limit=50001", "limit"],
    ["limit=12.5", "limit"],
    ["from=2000&to=1000", "from"],
  ])("GET telemetry?%s is a 400 naming %s", async (query, param) => {
    const { status, type, body } = await getJson<{ error: string }>(`${server.url}/api/hosts/r740-01/telemetry?${query}`);
    expect(status).toBe(400);
    expect(type).toBe(JSON_TYPE);
    expect(body.error).toContain(`"${param}"`);
    expect(fake.telemetryCalls).toEqual([]);
  });

  it("GET telemetry of an unknown host is a 404", async () => {
    const { status } = await getJson(`${server.url}/api/hosts/ghost/telemetry`);
    expect(status).toBe(404);
  });

  it("GET transitions returns the host's records in the range, all history by default", async () => {
    fake.transitionLog.push(
      { hostId: "r740-01", from: "Setup", to: "Running", cause: "calibrated", atMs: 5_000 },
      { hostId: "r740-02", from: "Running", to: "Cooling", cause: "cpu0 above band", atMs: 6_000 },
      { hostId: "r740-01", from: "Running", to: "Cooling", cause: "cpu0 above band", atMs: 7_000 },
    );
    const all = await getJson<Array<{ atMs: number }>>(`${server.url}/api/hosts/r740-01/transitions`);
    expect(all.body.map((t) => t.atMs)).toEqual([5_000, 7_000]);
    const later = await getJson<Array<{ atMs: number }>>(`${server.url}/api/hosts/r740-01/transitions?from=6000&to=8000`);
    expect(later.body.map((t) => t.atMs)).toEqual([7_000]);
    const bad = await getJson<{ error: string }>(`${server.url}/api/hosts/r740-01/transitions?to=soon`);
    expect(bad.status).toBe(400);
    expect(bad.body.error).toContain('"to"');
  });

  it("GET /api/summary returns the read model's summary", async () => {
    fake.summaryValue = { ...fake.summaryValue, hosts: 2, online: 1, commandsAcked: 42, ackLatencyP99Ms: 38 };
    const { status, body } = await getJson<{ hosts: number; commandsAcked: number; ackLatencyP99Ms: number }>(
      `${server.url}/api/summary`,
    );
    expect(status).toBe(200);
    expect(body).toMatchObject({ hosts: 2, commandsAcked: 42, ackLatencyP99Ms: 38 });
  });

  it("an unknown route is a 404 JSON", async () => {
    const { status, type, body } = await getJson<{ error: string }>(`${server.url}/api/nothing-here`);
    expect(status).toBe(404);
    expect(type).toBe(JSON_TYPE);
    expect(body.error).toContain("/api/nothing-here");
  });

  it.each(["POST", "PUT", "DELETE", "PATCH"])("%s is a 405 with Allow: GET", async (method) => {
    const res = await fetch(`${server.url}/api/hosts`, { method });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET");
    expect(res.headers.get("content-type")).toBe(JSON_TYPE);
    expect(((await res.json()) as { error: string }).error).toContain(method);
  });

  /** A raw request target, as a proxy or a hand-written client may send it; fetch() would normalise it. */
  function rawStatus(target: string): Promise<number> {
    return new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}/`, { path: target }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", reject);
      req.end();
    });
  }

  it("a malformed percent-encoding in the path is a 400, not a crash", async () => {
    expect(await rawStatus("/api/hosts/%E0%A4%A")).toBe(400);
  });

  it("a request target that is not a path or an absolute URL is a 400", async () => {
    expect(await rawStatus("not-a-path")).toBe(400);
  });

  it("routes a doubled slash and an absolute-form target to the same resource", async () => {
    expect(await rawStatus("//api/hosts")).toBe(200);
    expect(await rawStatus(`http://127.0.0.1:${server.port}/api/hosts`)).toBe(200);
  });

  it.each([
    ["summary", "/api/summary", "summary unavailable (injected)"],
    ["telemetry", "/api/hosts/r740-01/telemetry", "store unavailable (injected)"],
    ["transitions", "/api/hosts/r740-01/transitions", "store unavailable (injected)"],
    ["hosts", "/api/hosts", "hosts failed (injected)"],
    ["host", "/api/hosts/r740-01", "host failed (injected)"],
  ] as const)("a failing read model (%s) gives a logged 500 and the server keeps serving", async (method, path, message) => {
    fake.failing.add(method);
    const failed = await getJson<{ error: string }>(`${server.url}${path}`);
    expect(failed.status).toBe(500);
    expect(failed.type).toBe(JSON_TYPE);
    expect(failed.body.error).toBe(message);
    expect(log.lines.some((l) => l["err"] === message && l["msg"] === "request failed")).toBe(true);

    fake.failing.clear();
    expect((await fetch(`${server.url}${path}`)).status).toBe(200);
  });

  it("refuses a port that is in use with a usage error naming the port and --port", async () => {
    const second = startHttpServer({
      host: "127.0.0.1",
      port: server.port,
      readModel: fake,
      logger: silentLogger(),
      staticDir: "/nonexistent",
    });
    const err: unknown = await second.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(isCoolfleetError(err, ErrorCode.UsageInvalid)).toBe(true);
    expect((err as Error).message).toContain(String(server.port));
    expect((err as Error).message).toContain("--port");
  });
});

describe("hottestTemperature", () => {
  it("picks the least headroom among trusted readings and ignores untrusted ones", () => {
    const view = hostView("h", {
      temperatures: [
        { id: "cpu0", role: "cpu", tempC: 80, quality: "ok", targetC: 85, criticalC: 95, required: true },
        { id: "cpu1", role: "cpu", tempC: 99, quality: "stuck", targetC: 85, criticalC: 95, required: false },
        { id: "nvme0", role: "drive", tempC: null, quality: "missing", targetC: 60, criticalC: 70, required: false },
      ],
    });
    expect(hottestTemperature(view)?.id).toBe("cpu0");
  });

  it("is null when nothing is trusted", () => {
    const view = hostView("h", {
      temperatures: [{ id: "cpu0", role: "cpu", tempC: 80, quality: "stale", targetC: 85, criticalC: 95, required: true }],
    });
    expect(hottestTemperature(view)).toBeNull();
  });
});
