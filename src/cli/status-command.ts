import type { Command } from "commander";
import type { ApiHost } from "../controller/http/api-types.js";
import type { FleetSummary } from "../controller/http/read-model.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";
import { renderFleetStatus } from "../ops/fleet-status-table.js";
import { parsePositiveNumber } from "./options.js";

interface StatusCliOptions {
  url: string;
  timeoutS: string;
  json?: boolean;
}

/** Exit code when the controller cannot be asked: scripts tell "unreachable" (1) from a usage error (2). */
export const STATUS_UNREACHABLE_EXIT = 1;

export function registerStatusCommand(program: Command): void {
  program
    .command("status")
    .description("fleet summary from a running controller's API: per host state, hottest sensor vs its limits, fan, pump, power")
    .option("--url <url>", "the controller's HTTP address (http.host:http.port of its config)", "http://127.0.0.1:8080")
    .option("--timeout-s <s>", "give up on the controller after this many seconds", "5")
    .option("--json", "print {summary, hosts} as JSON instead of the table")
    .action(async (opts: StatusCliOptions) => {
      const timeoutMs = parsePositiveNumber("--timeout-s", opts.timeoutS, { max: 300 }) * 1000;
      const base = parseBaseUrl(opts.url);
      try {
        const [summary, hosts] = await Promise.all([getJson<FleetSummary>(base, "/api/summary", timeoutMs), getJson<ApiHost[]>(base, "/api/hosts", timeoutMs)]);
        process.stdout.write(opts.json ? `${JSON.stringify({ summary, hosts }, null, 2)}\n` : renderFleetStatus(base.href.replace(/\/$/, ""), summary, hosts));
      } catch (err) {
        process.stderr.write(`coolfleet status: ${err instanceof Error ? err.message : String(err)}\n`);
        process.exitCode = STATUS_UNREACHABLE_EXIT;
      }
    });
}

function parseBaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new CoolfleetError(ErrorCode.UsageInvalid, `--url must be an http:// or https:// URL; got "${raw}"`);
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") throw new CoolfleetError(ErrorCode.UsageInvalid, `--url must be an http:// or https:// URL; got "${raw}"`);
  // A trailing slash, so API paths resolve under a reverse proxy's prefix (https://ops.example/coolfleet/).
  if (!url.pathname.endsWith("/")) url.pathname = `${url.pathname}/`;
  return url;
}

async function getJson<T>(base: URL, path: string, timeoutMs: number): Promise<T> {
  const url = new URL(path.replace(/^\//, ""), base);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: "application/json" } });
  } catch (err) {
    throw new Error(`cannot reach the controller at ${base.origin} (${describeFetchError(err, timeoutMs)}); is it running? (systemctl status coolfleet-controller, or pass --url)`, {
      cause: err,
    });
  }
  if (!response.ok) {
    const body = await response.text().catch(() => "");
    throw new Error(`GET ${url.href} answered ${response.status} ${response.statusText}${body ? `: ${body.slice(0, 200)}` : ""}; is ${base.origin} a coolfleet controller?`);
  }
  try {
    return (await response.json()) as T;
  } catch {
    throw new Error(`GET ${url.href} did not return JSON; is ${base.origin} a coolfleet controller?`);
  }
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  if (err instanceof Error && (err.name === "TimeoutError" || err.name === "AbortError")) return `no answer within ${timeoutMs / 1000} s`;
  const cause = err instanceof Error ? (err.cause as { code?: string; message?: string } | undefined) : undefined;
  return cause?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
}
