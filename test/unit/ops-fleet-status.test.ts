import { describe, expect, it } from "vitest";
import { toApiHost } from "../../src/controller/http/host-hottest.js";
import { renderFleetStatus } from "../../src/ops/fleet-status-table.js";
import { emptySummary, hostView } from "../fixtures/fake-read-model.js";

describe("coolfleet status table", () => {
  const summary = { ...emptySummary(), hosts: 3, online: 2, byState: { ...emptySummary().byState, Running: 2, Error: 1 }, ackLatencyP50Ms: 12, ackLatencyP99Ms: 1500, serverPowerW: 820, coolingPowerW: 96.4, coolingPowerHosts: 2, policy: "b2" };
  const hosts = [
    hostView("calm", { plannedBy: { policy: "b1", reason: "probation" } }),
    hostView("hot", { plannedBy: { policy: "mpc" }, temperatures: [{ id: "coretemp.0:Package id 0", role: "cpu", tempC: 96, quality: "ok", targetC: 85, criticalC: 95, required: true }], fanPct: 100 }),
    hostView("gone", { plannedBy: { policy: null, reason: "offline" }, online: false, state: "Error", fanPct: undefined, powerW: null, mode: undefined, temperatures: [] }),
  ].map(toApiHost);

  it("summarises the fleet, then lists hosts needing attention first, marking temperatures against their limits", () => {
    const lines = renderFleetStatus("http://127.0.0.1:8080", summary, hosts).split("\n");
    expect(lines[0]).toBe("controller http://127.0.0.1:8080 · policy b2");
    expect(lines[1]).toBe("hosts 3, online 2 (Running 2, Error 1)");
    expect(lines[2]).toBe("telemetry stored 0, rejected 0, missing 0 · commands sent 0, acked 0 · ack latency p50 12 ms, p99 1.50 s · server power 820 W · cooling ~96 W (estimated on 2 host(s))");
    const rows = lines.slice(4, 8);
    expect(rows[0]).toMatch(/^HOST\s+STATE\s+ONLINE\s+MODE\s+PLANNED BY\s+HOTTEST SENSOR/);
    expect(rows.slice(1).map((r) => r.split(/\s+/)[0])).toEqual(["gone", "hot", "calm"]);
    expect(rows[1]).toMatch(/^gone\s+Error\s+NO\s+-\s+- \(offline\)\s+-/);
    expect(rows[2]).toMatch(/^hot\s+Running\s+yes\s+remote\s+mpc\s+coretemp\.0:Package id 0 \(cpu\)\s+96\.0 !!\s+85\s+95\s+100\s+-\s+410$/);
    // The least headroom, not the highest reading: the drive at 41 of 45 °C beats the CPU at 71 of 85 °C.
    expect(rows[3]).toMatch(/^calm\s+Running\s+yes\s+remote\s+b1 \(probation\)\s+sda \(drive\)\s+41\.0\s+45\s+55/);
  });

  it("says so when no host has reported", () => {
    expect(renderFleetStatus("http://x", emptySummary(), [])).toMatch(/no hosts have reported yet\n$/);
  });
});
