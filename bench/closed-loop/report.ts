import type { RunMetrics } from "./metrics.js";
import { meanInterval, type MeanInterval } from "./stats.js";

/** One row of `--json`: one (policy, workload, seed) run. */
export interface BenchResultRow extends RunMetrics {
  policy: string;
  workload: string;
  seed: number;
  /** Not used for any tuning (held-out workloads and user traces). */
  heldOut: boolean;
  decisionMsP99: number;
  tickMsP99: number;
  /** MPC: host-periods planned by the B2 fallback (cold start or high prediction error), share 0..1. */
  fallbackShare?: number;
}

type NumericKey = { [K in keyof BenchResultRow]-?: BenchResultRow[K] extends number ? K : never }[keyof BenchResultRow];

interface Column {
  title: string;
  key: NumericKey;
  scale?: number;
  digits: number;
}

const COLUMNS: Column[] = [
  { title: "cooling Wh", key: "coolingEnergyJ", scale: 1 / 3600, digits: 2 },
  { title: "total Wh", key: "totalEnergyJ", scale: 1 / 3600, digits: 1 },
  { title: "over s", key: "overLimitS", digits: 1 },
  { title: "over K·h", key: "overLimitKh", digits: 4 },
  { title: ">target s", key: "aboveTargetS", digits: 0 },
  { title: ">target K·h", key: "aboveTargetKh", digits: 3 },
  { title: "throttle s", key: "throttleS", digits: 1 },
  { title: "throttle* s", key: "throttleAvoidableS", digits: 1 },
  { title: "overshoot °C", key: "maxOvershootC", digits: 1 },
  { title: "overshoot* °C", key: "maxOvershootControllableC", digits: 1 },
  { title: "fan TV %", key: "fanTotalVariationPct", digits: 0 },
  { title: "rev/h", key: "fanReversalsPerH", digits: 1 },
  { title: "noise dB", key: "noiseDbMean", digits: 1 },
  { title: "peak W", key: "peakCoolingW", digits: 1 },
  { title: "RMS °C", key: "rmsTrackingErrorC", digits: 1 },
  { title: "ms/decision p99", key: "decisionMsP99", digits: 4 },
];

function fmt(mi: MeanInterval, c: Column): string {
  const s = c.scale ?? 1;
  const mean = (mi.mean * s).toFixed(c.digits);
  return mi.n > 1 ? `${mean} ±${(mi.ci95 * s).toFixed(c.digits)}` : mean;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = groups.get(k);
    if (list) list.push(item);
    else groups.set(k, [item]);
  }
  return groups;
}

/** Markdown table: one line per (workload, policy), mean ± 95 % interval over seeds; energies in Wh per host. */
export function formatTable(rows: readonly BenchResultRow[]): string {
  const header = `| workload | policy | ${COLUMNS.map((c) => c.title).join(" | ")} |`;
  const rule = `|${"---|".repeat(COLUMNS.length + 2)}`;
  const lines = [header, rule];
  for (const [key, group] of groupBy(rows, (r) => `${r.workload}\u0000${r.policy}`)) {
    const [workload, policy] = key.split("\u0000");
    const cells = COLUMNS.map((c) => fmt(meanInterval(group.map((r) => r[c.key])), c));
    lines.push(`| ${workload}${group[0]?.heldOut ? "" : " (train)"} | ${policy} | ${cells.join(" | ")} |`);
  }
  return lines.join("\n");
}

/** Held-out totals per policy: every held-out (workload, seed) summed, so long workloads weigh by their length. */
export interface PolicySummary {
  policy: string;
  coolingEnergyJ: number;
  totalEnergyJ: number;
  overLimitS: number;
  overLimitKh: number;
  aboveTargetS: number;
  aboveTargetKh: number;
  throttleS: number;
  throttleAvoidableS: number;
  maxOvershootC: number;
  maxOvershootControllableC: number;
  fanTotalVariationPct: number;
  decisionMsP99: number;
  /** 1 − cooling / B1's, 1 − cooling / B2's (undefined when that baseline did not run). */
  coolingSavingVsB1?: number;
  coolingSavingVsB2?: number;
  totalSavingVsB2?: number;
  /** The reference's rule: a saving counts only with violations no worse than B2's and zero throttling. */
  savingCounts?: boolean;
}

export function summarise(rows: readonly BenchResultRow[]): PolicySummary[] {
  const heldOut = rows.filter((r) => r.heldOut);
  const sum = (group: readonly BenchResultRow[], key: NumericKey): number => group.reduce((a, r) => a + r[key], 0);
  const summaries = [...groupBy(heldOut, (r) => r.policy)].map(([policy, group]) => ({
    policy,
    coolingEnergyJ: sum(group, "coolingEnergyJ"),
    totalEnergyJ: sum(group, "totalEnergyJ"),
    overLimitS: sum(group, "overLimitS"),
    overLimitKh: sum(group, "overLimitKh"),
    aboveTargetS: sum(group, "aboveTargetS"),
    aboveTargetKh: sum(group, "aboveTargetKh"),
    throttleS: sum(group, "throttleS"),
    throttleAvoidableS: sum(group, "throttleAvoidableS"),
    maxOvershootC: Math.max(...group.map((r) => r.maxOvershootC)),
    maxOvershootControllableC: Math.max(...group.map((r) => r.maxOvershootControllableC)),
    fanTotalVariationPct: sum(group, "fanTotalVariationPct"),
    decisionMsP99: Math.max(...group.map((r) => r.decisionMsP99)),
  }));
  const b1 = summaries.find((s) => s.policy === "b1");
  const b2 = summaries.find((s) => s.policy === "b2");
  return summaries.map((s) => ({
    ...s,
    ...(b1 ? { coolingSavingVsB1: 1 - s.coolingEnergyJ / b1.coolingEnergyJ } : {}),
    ...(b2
      ? {
          coolingSavingVsB2: 1 - s.coolingEnergyJ / b2.coolingEnergyJ,
          totalSavingVsB2: 1 - s.totalEnergyJ / b2.totalEnergyJ,
          savingCounts: s.throttleS === 0 && s.overLimitS <= b2.overLimitS && s.overLimitKh <= b2.overLimitKh,
        }
      : {}),
  }));
}

const pct = (x: number | undefined): string => (x === undefined ? "–" : `${(x * 100).toFixed(1)} %`);

export function formatSummary(summaries: readonly PolicySummary[], runs: number): string {
  const lines = [
    `Held-out totals (sum over held-out workloads × seeds, per host; ${runs} runs):`,
    "",
    "| policy | cooling Wh | total Wh | over s | over K·h | >target s | throttle s | throttle* s | max overshoot °C | overshoot* °C | fan TV % | cooling vs B1 | cooling vs B2 | total vs B2 | saving counts |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
  ];
  for (const s of summaries) {
    lines.push(
      `| ${s.policy} | ${(s.coolingEnergyJ / 3600).toFixed(1)} | ${(s.totalEnergyJ / 3600).toFixed(0)} | ${s.overLimitS.toFixed(1)} | ${s.overLimitKh.toFixed(4)} | ${s.aboveTargetS.toFixed(0)} | ${s.throttleS.toFixed(1)} | ${s.throttleAvoidableS.toFixed(1)} | ${s.maxOvershootC.toFixed(1)} | ${s.maxOvershootControllableC.toFixed(1)} | ${s.fanTotalVariationPct.toFixed(0)} | ${pct(s.coolingSavingVsB1)} | ${pct(s.coolingSavingVsB2)} | ${pct(s.totalSavingVsB2)} | ${s.savingCounts === undefined ? "–" : s.savingCounts ? "yes" : "no"} |`,
    );
  }
  lines.push("");
  lines.push("(\"cooling vs B1\" is the saving: positive = less cooling energy than B1. overshoot*: over the hosts that can hold their target at the run's peak load and inlet with full fan on the fans the run's faults leave. throttle*: over the hosts that, on the same terms, stay below Tj max.)");
  return lines.join("\n");
}
