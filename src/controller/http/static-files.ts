import { existsSync } from "node:fs";
import { readFile, realpath, stat } from "node:fs/promises";
import type { ServerResponse } from "node:http";
import { dirname, extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { HttpError } from "./http-error.js";

const CONTENT_TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".ico": "image/x-icon",
  ".woff2": "font/woff2",
  ".txt": "text/plain; charset=utf-8",
};

/** esbuild's "[name]-[hash]" names: the content decides the name, so such a file never changes. */
const HASHED_ASSET = /-[A-Z0-9]{8}\.[a-z0-9]+(\.map)?$/;

/**
 * Only our own bundle runs, and it talks only to this origin: a stray CDN reference or injected script fails loudly.
 * uPlot positions its elements with inline styles, hence 'unsafe-inline' for styles only.
 */
const INDEX_HEADERS = {
  "content-type": CONTENT_TYPES[".html"]!,
  "cache-control": "no-cache",
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
};

export const ASSETS_DIR_NAME = "assets";

/** Where `npm run build` puts the dashboard: <package root>/dist/dashboard, from the source tree or from dist/. */
export function defaultDashboardDir(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return join(dir, "dist", "dashboard");
}

/** The dashboard page and its bundle, from the esbuild output in staticDir. */
export class DashboardFiles {
  private readonly rootDir: string;
  private readonly assetsDir: string;

  constructor(staticDir: string) {
    this.rootDir = resolve(staticDir);
    this.assetsDir = join(this.rootDir, ASSETS_DIR_NAME);
  }

  async sendIndex(res: ServerResponse): Promise<void> {
    const indexPath = join(this.rootDir, "index.html");
    let html: Buffer;
    try {
      html = await readFile(indexPath);
    } catch (err) {
      if (!isMissingFile(err)) throw err;
      sendNotBuilt(res, this.rootDir);
      return;
    }
    res.writeHead(200, { ...INDEX_HEADERS, "content-length": String(html.length) });
    res.end(html);
  }

  /** Serves assets/<relativePath>; anything that would leave the assets folder is a 404, not an error page. */
  async sendAsset(res: ServerResponse, relativePath: string): Promise<void> {
    const filePath = await this.resolveAsset(relativePath);
    const body = await readFile(filePath);
    const ext = extname(filePath).toLowerCase();
    res.writeHead(200, {
      "content-type": CONTENT_TYPES[ext] ?? "application/octet-stream",
      "content-length": String(body.length),
      "cache-control": HASHED_ASSET.test(filePath) ? "public, max-age=31536000, immutable" : "no-cache",
      "x-content-type-options": "nosniff",
    });
    res.end(body);
  }

  private async resolveAsset(relativePath: string): Promise<string> {
    const notFound = new HttpError(404, `no dashboard asset "${relativePath}"`);
    const segments = relativePath.split("/");
    // Refuse rather than normalise: a well-formed asset URL never contains these.
    if (
      relativePath.includes("\0") ||
      relativePath.includes("\\") ||
      segments.some((s) => s === "" || s === "." || s === ".." || s.startsWith("."))
    ) {
      throw notFound;
    }
    const candidate = join(this.assetsDir, ...segments);
    try {
      // realpath too, so a symlink inside the folder cannot point outside it.
      const [realFile, realRoot] = await Promise.all([realpath(candidate), realpath(this.assetsDir)]);
      if (!realFile.startsWith(realRoot + sep)) throw notFound;
      if (!(await stat(realFile)).isFile()) throw notFound;
      return realFile;
    } catch (err) {
      if (err instanceof HttpError || isMissingFile(err)) throw notFound;
      throw err;
    }
  }
}

function sendNotBuilt(res: ServerResponse, rootDir: string): void {
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>coolfleet: dashboard not built</title>
<style>body{background:#0e1116;color:#c9d1d9;font:14px system-ui,sans-serif;margin:3rem}code{color:#e6edf3}</style></head>
<body><h1>Dashboard not built</h1>
<p>No <code>index.html</code> in <code>${escapeHtml(rootDir)}</code>. Run <code>npm run build</code> and reload this page.</p>
<p>The JSON API works without it: <a href="api/hosts" style="color:#58a6ff">api/hosts</a>, <a href="api/summary" style="color:#58a6ff">api/summary</a>.</p>
</body></html>`;
  res.writeHead(503, { "content-type": CONTENT_TYPES[".html"]!, "cache-control": "no-store", "retry-after": "30" });
  res.end(html);
}

function isMissingFile(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === "ENOENT" || code === "ENOTDIR" || code === "EISDIR";
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
