import { B0FixedPolicy } from "../../src/controller/planner/policy-b0-fixed.js";
import { B1StepwisePolicy } from "../../src/controller/planner/policy-b1-stepwise.js";
import { B2CascadePidPolicy } from "../../src/controller/planner/policy-b2-pid.js";
import { B3LookupPolicy } from "../../src/controller/planner/policy-b3-lookup.js";
import type { PlanningPolicy } from "../../src/controller/planner/policy.js";
import type { BaselineTuning } from "./baseline-tuning.js";

export const BENCH_POLICIES = ["b0", "b1", "b2", "b3", "mpc"] as const;
export type BenchPolicyId = (typeof BENCH_POLICIES)[number];

/** Builds a fresh policy per run (policies keep per-host memory). */
export type PolicyFactory = () => PlanningPolicy;

/** The baselines with their training-fit parameters; planPeriodMs is the bench's control period. */
export function baselineFactories(tuning: BaselineTuning, planPeriodMs: number): Record<Exclude<BenchPolicyId, "mpc">, PolicyFactory> {
  return {
    b0: () => new B0FixedPolicy(tuning.b0FanPct),
    b1: () => new B1StepwisePolicy(),
    b2: () => new B2CascadePidPolicy(planPeriodMs, { fanGains: tuning.b2Gains }),
    b3: () => new B3LookupPolicy(tuning.b3Table),
  };
}

export function isBenchPolicy(id: string): id is BenchPolicyId {
  return (BENCH_POLICIES as readonly string[]).includes(id);
}
