import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ControllerMetrics } from "../../src/ops/controller-metrics.js";
import { FakeReadModel } from "../fixtures/fake-read-model.js";
import { emptyRejectCounts } from "../../src/controller/ingest/reject-reason.js";

interface Panel {
  title?: string;
  type: string;
  targets?: Array<{ expr?: string }>;
  panels?: Panel[];
}
interface Dashboard {
  panels: Panel[];
  templating: { list: Array<{ name: string; query?: string | { query?: string } }> };
}

const PROMQL_WORDS = new Set(["by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "le", "inf", "nan"]);

/** Metric names a PromQL expression reads: identifiers that are not functions, keywords, labels or durations. */
function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values, which may look like anything
    .replace(/\{[^}]*\}/g, "") // label matchers
    .replace(/\[[^\]]*\]/g, "") // range durations
    .replace(/(?<![A-Za-z0-9_:])\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi, "0") // numbers, 3.6e6 included
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " "); // label lists
  const names = new Set<string>();
  for (const match of stripped.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const word = match[0];
    const after = stripped.slice((match.index ?? 0) + word.length).trimStart();
    if (after.startsWith("(") || PROMQL_WORDS.has(word.toLowerCase()) || word.startsWith("$")) continue;
    if (/^\d/.test(word)) continue;
    names.add(word);
  }
  return [...names];
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

describe("config/grafana-dashboard.json", () => {
  const dashboard = JSON.parse(readFileSync("config/grafana-dashboard.json", "utf8")) as Dashboard;

  it("reads the PromQL of its panels and variables", () => {
    expect(metricNamesIn('histogram_quantile(0.99, sum by (le) (rate(coolfleet_command_ack_latency_seconds_bucket{job=~"$job"}[5m])))')).toEqual([
      "coolfleet_command_ack_latency_seconds_bucket",
    ]);
    expect(metricNamesIn("max by (host) (a_celsius - on (host, sensor) b_celsius) > 0")).toEqual(["a_celsius", "b_celsius"]);
    expect(metricNamesIn("time() - x_seconds")).toEqual(["x_seconds"]);
    expect(metricNamesIn("increase(j_total[1h]) / 3.6e6")).toEqual(["j_total"]);
  });

  it("queries only metrics the controller exports", async () => {
    const exprs = allPanels(dashboard.panels).flatMap((p) => (p.targets ?? []).map((t) => t.expr ?? ""));
    const variableQueries = dashboard.templating.list.map((v) => (typeof v.query === "object" ? v.query.query : v.query) ?? "");
    const labelValues = variableQueries.flatMap((q) => [.../label_values\(\s*([A-Za-z_:][A-Za-z0-9_:]*)/.exec(q)?.slice(1) ?? []]);
    const used = new Set([...exprs.flatMap(metricNamesIn), ...labelValues]);
    expect(used.size).toBeGreaterThan(15);

    const model = new FakeReadModel();
    const metrics = new ControllerMetrics({
      hosts: () => model.hosts(),
      subscribe: (l) => model.subscribe(l),
      ingestStats: () => ({ accepted: 0, duplicates: 0, seqGaps: 0, lateArrivals: 0, rejected: emptyRejectCounts(), stored: 0, pending: 0, pendingWrites: 0, staleStates: 0, repeatAcks: 0, failedWrites: 0 }),
      commandStats: () => ({ sent: 0, skipped: 0, acked: { applied: 0, rejected: 0, expired: 0, superseded: 0 }, lost: 0, ackLatencyP50Ms: undefined, ackLatencyP99Ms: undefined, outstanding: 0 }),
      policyId: "b2",
    });
    const exported = new Set<string>();
    for (const metric of await metrics.registry.getMetricsAsJSON()) {
      exported.add(metric.name);
      if (["histogram", "summary"].includes(String(metric.type))) for (const suffix of ["_bucket", "_sum", "_count"]) exported.add(`${metric.name}${suffix}`);
    }
    metrics.close();
    const missing = [...used].filter((name) => !exported.has(name));
    expect(missing, "metrics the dashboard queries but the controller does not export").toEqual([]);
  });

  it("has a title on every panel and a query on every non-row panel", () => {
    for (const panel of allPanels(dashboard.panels)) {
      expect(panel.title, JSON.stringify(panel).slice(0, 80)).toBeTruthy();
      if (panel.type !== "row") expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
    }
  });
});
