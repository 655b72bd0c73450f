import { mkdtempSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHttpServer, type HttpServerHandle } from "../../src/controller/http/server.js";
import { silentLogger } from "../../src/core/logger.js";
import { FakeReadModel } from "../fixtures/fake-read-model.js";

const SECRET = "controller-secret-do-not-serve";

/** A raw GET: fetch() would normalise "..", "%2e%2e" and backslashes away before the server saw them. */
function rawGet(baseUrl: string, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${baseUrl}/`, { path }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => (body += chunk));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on("error", reject);
    req.end();
  });
}

describe("dashboard files", () => {
  let root: string;
  let server: HttpServerHandle;

  beforeAll(async () => {
    // root/secret.txt sits next to the static dir: what a traversal would try to reach.
    root = mkdtempSync(join(tmpdir(), "coolfleet-http-static-"));
    const staticDir = join(root, "dashboard");
    mkdirSync(join(staticDir, "assets", "img"), { recursive: true });
    writeFileSync(join(root, "secret.txt"), SECRET);
    writeFileSync(join(staticDir, "index.html"), '<!doctype html><script type="module" src="assets/app-ABCD1234.js"></script>');
    writeFileSync(join(staticDir, "assets", "app-ABCD1234.js"), "console.log('bundle')");
    writeFileSync(join(staticDir, "assets", "app-ABCD1234.css"), "body{color:red}");
    writeFileSync(join(staticDir, "assets", "app-ABCD1234.js.map"), "{}");
    writeFileSync(join(staticDir, "assets", "notes.txt"), "plain");
    writeFileSync(join(staticDir, "assets", "img", "logo.svg"), "<svg/>");
    symlinkSync(join(root, "secret.txt"), join(staticDir, "assets", "link-ABCD1234.txt"));
    server = await startHttpServer({ host: "127.0.0.1", port: 0, readModel: new FakeReadModel(), logger: silentLogger(), staticDir });
  });

  afterAll(async () => {
    await server.close();
    rmSync(root, { recursive: true, force: true });
  });

  it("serves index.html at / with no-cache and a same-origin content policy", async () => {
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(res.headers.get("content-security-policy")).toContain("script-src 'self'");
    expect(await res.text()).toContain("assets/app-ABCD1234.js");
  });

  it.each([
    ["app-ABCD1234.js", "text/javascript; charset=utf-8"],
    ["app-ABCD1234.css", "text/css; charset=utf-8"],
    ["app-ABCD1234.js.map", "application/json; charset=utf-8"],
    ["img/logo.svg", "image/svg+xml"],
  ])("serves assets/%s as %s", async (name, type) => {
    const res = await fetch(`${server.url}/assets/${name}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(type);
  });

  it("caches hashed assets for a year and revalidates the rest", async () => {
    const hashed = await fetch(`${server.url}/assets/app-ABCD1234.js`);
    expect(hashed.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    const plain = await fetch(`${server.url}/assets/notes.txt`);
    expect(plain.headers.get("cache-control")).toBe("no-cache");
  });

  it("a missing asset is a 404 JSON", async () => {
    const res = await fetch(`${server.url}/assets/app-NOPE0000.js`);
    expect(res.status).toBe(404);
    expect(res.headers.get("content-type")).toBe("application/json; charset=utf-8");
  });

  it.each([
    "/assets/../secret.txt",
    "/assets/../../secret.txt",
    "/assets/..%2fsecret.txt",
    "/assets/..%2f..%2fsecret.txt",
    "/assets/%2e%2e/%2e%2e/secret.txt",
    "/assets/%2e%2e%2f%2e%2e%2fsecret.txt",
    "/assets/..\\..\\secret.txt",
    "/assets/..%5c..%5csecret.txt",
    "/assets/img/..%2f..%2f..%2fsecret.txt",
    "/assets/%00../secret.txt",
    "/assets//etc/passwd",
    "/assets/%2fetc%2fpasswd",
    "/assets/link-ABCD1234.txt",
    "/..%2fsecret.txt",
  ])("refuses traversal %s", async (path) => {
    const { status, body } = await rawGet(server.url, path);
    expect(status).toBeGreaterThanOrEqual(400);
    expect(status).toBeLessThan(500);
    expect(body).not.toContain(SECRET);
    expect(body).not.toContain("root:");
  });

  it("answers / with a 503 page saying to run npm run build when the dashboard is not built", async () => {
    const empty = mkdtempSync(join(tmpdir(), "coolfleet-http-nobuild-"));
    const bare = await startHttpServer({ host: "127.0.0.1", port: 0, readModel: new FakeReadModel(), logger: silentLogger(), staticDir: empty });
    try {
      const res = await fetch(`${bare.url}/`);
      expect(res.status).toBe(503);
      expect(res.headers.get("content-type")).toBe("text/html; charset=utf-8");
      expect(await res.text()).toContain("npm run build");
      expect((await fetch(`${bare.url}/api/hosts`)).status).toBe(200);
    } finally {
      await bare.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
