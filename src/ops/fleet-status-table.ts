import type { ApiHost } from "../controller/http/api-types.js";
import type { FleetSummary } from "../controller/http/read-model.js";
import { formatPlanRoute } from "../controller/planner/plan-route.js";

/**
 * `coolfleet status` for an operator at a terminal: the fleet summary, then one row per host with its state,
 * who plans it, its hottest controlled sensor against that sensor's limits, and its outputs. Hosts that need a look
 * first.
 */
export function renderFleetStatus(url: string, summary: FleetSummary, hosts: readonly ApiHost[]): string {
  const states = Object.entries(summary.byState)
    .filter(([, n]) => n > 0)
    .map(([state, n]) => `${state} ${n}`)
    .join(", ");
  const latency =
    summary.ackLatencyP50Ms === null ? "no acks yet" : `ack latency p50 ${formatMs(summary.ackLatencyP50Ms)}, p99 ${formatMs(summary.ackLatencyP99Ms ?? summary.ackLatencyP50Ms)}`;
  const lines = [
    `controller ${url} · policy ${summary.policy}`,
    `hosts ${summary.hosts}, online ${summary.online}${states ? ` (${states})` : ""}`,
    `telemetry stored ${summary.telemetryStored}, rejected ${summary.telemetryRejected}, missing ${summary.telemetryMissing} · commands sent ${summary.commandsSent}, acked ${summary.commandsAcked} · ${latency}` +
      (summary.serverPowerW !== null ? ` · server power ${summary.serverPowerW.toFixed(0)} W` : "") +
      (summary.coolingPowerW !== null ? ` · cooling ~${summary.coolingPowerW.toFixed(0)} W (estimated on ${summary.coolingPowerHosts} host(s))` : ""),
    "",
  ];
  if (hosts.length === 0) return [...lines, "no hosts have reported yet"].join("\n") + "\n";
  const header = ["HOST", "STATE", "ONLINE", "MODE", "PLANNED BY", "HOTTEST SENSOR", "°C", "TARGET", "CRIT", "FAN %", "PUMP %", "POWER W"];
  const rows = [...hosts].sort(byAttention).map((h) => [
    h.hostId,
    h.state,
    h.online ? "yes" : "NO",
    h.mode ?? "-",
    formatPlanRoute(h.plannedBy),
    h.hottest ? `${h.hottest.id} (${h.hottest.role})` : "-",
    h.hottest ? `${h.hottest.tempC.toFixed(1)}${heatMark(h)}` : "-",
    h.hottest ? h.hottest.targetC.toFixed(0) : "-",
    h.hottest ? h.hottest.criticalC.toFixed(0) : "-",
    h.fanPct !== undefined ? h.fanPct.toFixed(0) : "-",
    h.pumpPct !== undefined ? h.pumpPct.toFixed(0) : "-",
    h.powerW !== null ? h.powerW.toFixed(0) : "-",
  ]);
  return [...lines, ...table([header, ...rows]), "", "°C marks: ! at or above target, !! at or above critical"].join("\n") + "\n";
}

/** "!!" at or above critical, "!" at or above target. */
function heatMark(h: ApiHost): string {
  if (!h.hottest) return "";
  if (h.hottest.tempC >= h.hottest.criticalC) return " !!";
  return h.hottest.tempC >= h.hottest.targetC ? " !" : "";
}

/** Offline and Error hosts first, then the least headroom, then by id. */
function byAttention(a: ApiHost, b: ApiHost): number {
  const rank = (h: ApiHost): number => (!h.online ? 0 : h.state === "Error" ? 1 : 2);
  const headroom = (h: ApiHost): number => (h.hottest ? h.hottest.targetC - h.hottest.tempC : Number.POSITIVE_INFINITY);
  return rank(a) - rank(b) || headroom(a) - headroom(b) || (a.hostId < b.hostId ? -1 : a.hostId > b.hostId ? 1 : 0);
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  return rows.map((r) => r.map((cell, col) => cell.padEnd(widths[col]!)).join("  ").trimEnd());
}

function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(0)} ms`;
}
