import type { FleetSummary } from "../src/controller/http/read-model.js";
import { HOST_STATES } from "../src/controller/types.js";
import { el } from "./dom.js";
import { formatCount, formatMs, formatWatts } from "./format.js";
import { stateColor } from "./state-style.js";

/** The header's fleet numbers: what answers "is everything fine?" at a glance. */
export function renderFleetSummary(node: HTMLElement, summary: FleetSummary): void {
  const metric = (label: string, value: string, title: string, testid?: string): HTMLElement =>
    el("div", { class: "metric", title, "data-testid": testid }, el("span", { class: "metric-label" }, label), el("span", { class: "metric-value" }, value));

  const states = el("div", { class: "metric metric-states", title: "Hosts per state" });
  for (const state of HOST_STATES) {
    const count = summary.byState[state] ?? 0;
    if (count === 0 && state !== "Running") continue;
    const chip = el("span", { class: "state-count", "data-state": state }, el("i", { class: "dot" }), `${state} ${count}`);
    chip.style.setProperty("--badge-color", stateColor(state));
    states.append(chip);
  }

  const offline = summary.hosts - summary.online;
  node.replaceChildren(
    metric(
      "Hosts",
      `${summary.online}/${summary.hosts}`,
      offline > 0 ? `${offline} host(s) offline` : "All hosts online",
      "summary-hosts",
    ),
    states,
    metric("Telemetry", formatCount(summary.telemetryStored), `${summary.telemetryRejected} rejected, ${summary.telemetryMissing} missing (gaps in the hosts' sequence numbers)`, "summary-telemetry"),
    metric("Cmds acked", `${formatCount(summary.commandsAcked)}/${formatCount(summary.commandsSent)}`, "Set-point commands acknowledged / sent"),
    metric("Ack p99", formatMs(summary.ackLatencyP99Ms), `p50 ${formatMs(summary.ackLatencyP50Ms)}`),
    metric(
      "Cooling",
      formatWatts(summary.coolingPowerW),
      `Fans and pumps, estimated from the watts ${summary.coolingPowerHosts} of ${summary.online} online host(s) announce (cube law at their outputs); servers draw ${formatWatts(summary.serverPowerW)}`,
      "summary-cooling",
    ),
    metric("Policy", summary.policy, "Planning policy in force"),
  );
  node.classList.toggle("has-offline", offline > 0);
}
