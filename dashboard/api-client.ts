import type { ApiHost, ApiHostDetail } from "../src/controller/http/api-types.js";
import type { FleetSummary, StateTransitionRecord, TelemetryPoint } from "../src/controller/http/read-model.js";

/** Relative URLs: the dashboard keeps working behind a reverse proxy that mounts it under a path. */
async function getJson<T>(path: string): Promise<T> {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  if (!res.ok) {
    let message = `${res.status} ${res.statusText}`;
    try {
      message = ((await res.json()) as { error?: string }).error ?? message;
    } catch {
      // not JSON: keep the status line
    }
    throw new Error(`GET ${path}: ${message}`);
  }
  return (await res.json()) as T;
}

export const fetchHosts = (): Promise<ApiHost[]> => getJson("api/hosts");

export const fetchHost = (hostId: string): Promise<ApiHostDetail> => getJson(`api/hosts/${encodeURIComponent(hostId)}`);

export const fetchSummary = (): Promise<FleetSummary> => getJson("api/summary");

export function fetchTelemetry(hostId: string, fromMs: number, toMs: number, limit: number): Promise<TelemetryPoint[]> {
  const query = new URLSearchParams({ from: String(Math.floor(fromMs)), to: String(Math.ceil(toMs)), limit: String(limit) });
  return getJson(`api/hosts/${encodeURIComponent(hostId)}/telemetry?${query.toString()}`);
}

export function fetchTransitions(hostId: string, fromMs: number, toMs: number): Promise<StateTransitionRecord[]> {
  const query = new URLSearchParams({ from: String(Math.floor(fromMs)), to: String(Math.ceil(toMs)) });
  return getJson(`api/hosts/${encodeURIComponent(hostId)}/transitions?${query.toString()}`);
}
