import { B0FixedPolicy } from "../../src/controller/planner/policy-b0-fixed.js";
import { B1StepwisePolicy } from "../../src/controller/planner/policy-b1-stepwise.js";
import { B2CascadePidPolicy } from "../../src/controller/planner/policy-b2-pid.js";
import { B3LookupPolicy } from "../../src/controller/planner/policy-b3-lookup.js";
import type { PlanningPolicy } from "../../src/controller/planner/policy.js";
import type { BaselineTuning } from "./baseline-tuning.js";
import { FIRMWARE_ONLY } from "./engine.js";

/**
 * fw is the machine on its own (its firmware's automatic curve, no coolfleet): reported for reference, no target is
 * judged against it. b0–b3 are the baselines, mpc the planner.
 */
export const BENCH_POLICIES = ["fw", "b0", "b1", "b2", "b3", "mpc"] as const;
export type BenchPolicyId = (typeof BENCH_POLICIES)[number];

/** Builds a fresh policy per run (policies keep per-host memory), or says the firmware alone drives the fans. */
export type PolicyFactory = () => PlanningPolicy | typeof FIRMWARE_ONLY;

/** The baselines with their training-fit parameters; planPeriodMs is the bench's control period. */
export function baselineFactories(tuning: BaselineTuning, planPeriodMs: number): Record<Exclude<BenchPolicyId, "mpc">, PolicyFactory> {
  return {
    fw: () => FIRMWARE_ONLY,
    b0: () => new B0FixedPolicy(tuning.b0FanPct),
    b1: () => new B1StepwisePolicy(),
    b2: () => new B2CascadePidPolicy(planPeriodMs, { fanGains: tuning.b2Gains }),
    b3: () => new B3LookupPolicy(tuning.b3Table),
  };
}

export function isBenchPolicy(id: string): id is BenchPolicyId {
  return (BENCH_POLICIES as readonly string[]).includes(id);
}
