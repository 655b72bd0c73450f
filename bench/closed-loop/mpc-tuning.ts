import { readFileSync } from "node:fs";
import type { MpcPolicyOptions } from "../../src/controller/planner/policy-mpc.js";
import type { BaselineTuning } from "./baseline-tuning.js";
import type { ObjectiveMode } from "./bench-controller-host.js";
import { runClosedLoop } from "./engine.js";
import { createBenchMpc } from "./mpc-factory.js";
import { baselineFactories } from "./policies.js";
import { benchScenario, TRAINING_WORKLOADS } from "./scenarios.js";

/**
 * Picks MPC's margins and smoothing on the training workloads only (never on held-out ones):
 * `node dist/bench/closed-loop/mpc-tuning.js <model dir> <baseline-tuning.json> [state|energy]`.
 * Rule: the least whole-server energy among settings with no throttling, overshoot ≤ 2 °C and fan total variation
 * no worse than B1's, all on the training workloads.
 */
async function main(): Promise<void> {
  const [modelDir = "bench-results/models", tuningFile = "bench-results/closed-loop/baseline-tuning.json", modeArg = "state"] = process.argv.slice(2);
  const mode: ObjectiveMode = modeArg === "energy" ? "energy" : "state";
  const tuning = JSON.parse(readFileSync(tuningFile, "utf8")) as BaselineTuning;
  const budget = { hosts: 6, seed: 1001 };
  const total = (make: () => ReturnType<ReturnType<typeof baselineFactories>["b1"]>) => {
    const runs = TRAINING_WORKLOADS.map((id) => runClosedLoop({ policy: make(), scenario: benchScenario(id), seed: budget.seed, hosts: budget.hosts, objectiveMode: mode }).metrics);
    const sum = (f: (m: (typeof runs)[number]) => number): number => runs.reduce((a, m) => a + f(m), 0);
    return { totalJ: sum((m) => m.totalEnergyJ), coolingJ: sum((m) => m.coolingEnergyJ), tv: sum((m) => m.fanTotalVariationPct), throttleS: sum((m) => m.throttleS), overshootC: Math.max(...runs.map((m) => m.maxOvershootC)) };
  };
  const b1 = total(baselineFactories(tuning, 1000).b1);
  process.stdout.write(`b1 (training, ${mode}): total ${(b1.totalJ / 3600).toFixed(1)} Wh, cooling ${(b1.coolingJ / 3600).toFixed(2)} Wh, fan TV ${b1.tv.toFixed(0)} %\n`);
  const grid: Partial<MpcPolicyOptions>[] = [];
  for (const cpuMarginC of [0.5, 1, 1.5, 2.5]) for (const switchThresholdW of [1, 3]) for (const smoothnessWPerPct of [0.05, 0.2]) grid.push({ cpuMarginC, switchThresholdW, smoothnessWPerPct, holdToleranceC: Math.min(0.5, cpuMarginC) });
  let best: { options: Partial<MpcPolicyOptions>; totalJ: number } | undefined;
  for (const options of grid) {
    const make = (await createBenchMpc(modelDir, () => undefined, options))(tuning);
    const r = total(make);
    const ok = r.throttleS === 0 && r.overshootC <= 2 && r.tv <= b1.tv;
    process.stdout.write(
      `${JSON.stringify(options)}: total ${(r.totalJ / 3600).toFixed(1)} Wh, cooling ${(r.coolingJ / 3600).toFixed(2)} Wh, TV ${r.tv.toFixed(0)} %, overshoot ${r.overshootC.toFixed(1)} °C${ok ? "" : " (rejected)"}\n`,
    );
    if (ok && (!best || r.totalJ < best.totalJ)) best = { options, totalJ: r.totalJ };
  }
  process.stdout.write(`chosen: ${best ? JSON.stringify(best.options) : "none met the rule"}\n`);
}

await main();
