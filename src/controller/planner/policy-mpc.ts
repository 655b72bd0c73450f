import { HISTORY_PERIODS, N_LOAD, nowValues, OUTPUTS } from "../model/feature-spec.js";
import { HostHistory } from "../model/host-history.js";
import { AIR_LAYOUT, type CoolingKind } from "../model/model-layout.js";
import { sampleFromView } from "../model/thermal-sample.js";
import type { HostView, SetpointProposal } from "../types.js";
import type { Capabilities } from "../../protocol/index.js";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import { effectiveTargetC, hasTrustedCpu, isTrusted } from "./margins.js";
import type { HostObjective } from "./objective.js";
import { MpcFallback } from "./policy-mpc-fallback.js";
import { chooseFanPct, type ChoiceTuning, type MpcEnergyModel } from "./policy-mpc-choice.js";
import { PredictionErrorTracker } from "./policy-mpc-error.js";
import { objectiveFor, type PlannerInput, type PlanningPolicy, type PlanRoute } from "./policy.js";
import { controlsFans, controlsPump, DEFAULT_LEASE_PERIODS, leaseTtlMs, setpointsFor } from "./proposal.js";
import { candidateGrid, nearestIndex, pairGrid } from "./policy-mpc-grid.js";
import { MPC_DEFAULT_ENERGY, MPC_LIQUID_FAN_STEP_PCT, MPC_PUMP_STEP_PCT, type MpcFallbackReason, type MpcPolicyOptions, type ThermalPredictor } from "./policy-mpc-options.js";

export { candidateGrid, pairGrid } from "./policy-mpc-grid.js";
export { MPC_DEFAULT_ENERGY, MPC_LIQUID_FAN_STEP_PCT, MPC_PUMP_STEP_PCT, type MpcFallbackReason, type MpcPolicyOptions, type ThermalPredictor } from "./policy-mpc-options.js";


interface ModelHost {
  host: HostView;
  memory: HostMemory;
  objective: HostObjective;
  kind: CoolingKind;
  /** Predicted only to score the model (the host is on the fallback): no proposal from MPC. */
  shadow: boolean;
}

/** One host of a round, with why the fallback plans it (undefined: the model does). */
interface RoutedHost {
  host: HostView;
  memory: HostMemory;
  kind: CoolingKind;
  reason: MpcFallbackReason | undefined;
  errorC: number | undefined;
}

/** Hosts of one kind for one batched prediction, and their state rows (host-major). */
interface StateBatch {
  hosts: ModelHost[];
  state: Float32Array;
}

interface HostMemory {
  history: HostHistory;
  lastPct: number | undefined;
  lastPumpPct: number | undefined;
  /** Rounds in a row a cheaper level has beaten lastPct (move blocking). */
  challengerRounds: number;
  lastMoveSign: number;
  errorFallback: boolean;
  /** The model inputs the host could not give at the last check ("missing-inputs"), for the log line. */
  missingInputs: string[];
  /** The choice tuning for the watts the host announced last (tuningOf), with those watts. */
  energy?: { liquid: boolean; fanW: number | undefined; pumpW: number | undefined; at85W: number | undefined; doublingK: number | undefined; tuning: ChoiceTuning };
}

/**
 * Model-predictive control: every round, for all hosts at once, the thermal model predicts the CPU and drive
 * readings over 10/30/60 s (drives 60/300 s) for a grid of candidate fan levels held from the next period, and each
 * host gets the level with the least fan + leakage watts (plus a smoothness penalty) whose predictions stay within
 * every limit less a margin. Liquid-cooled hosts have their own model (pump and coolant too) and a fan × pump grid,
 * and pay pump watts as well. Objectives: energy (targets as given), headroom (targets lowered), feed-forward (the
 * load is extrapolated along its rise), drives (drive targets lowered); Error hosts are not planned (Planner).
 * The fallback baseline (B1 by default) plans the hosts the model cannot: no model for their kind of cooling yet
 * (cold start), the first minute of a host (its history fills), fans the controller may not command, hosts whose
 * model error is not measured yet (probation), and hosts whose live prediction error grew past a threshold.
 */
export class MpcPolicy implements PlanningPolicy {
  readonly id = "mpc";
  private readonly fallback: MpcFallback;
  private readonly tracker: PredictionErrorTracker;
  private readonly memory = new Map<string, HostMemory>();
  private readonly onFallback = new Map<string, MpcFallbackReason>();
  private readonly tuning: ChoiceTuning;
  private readonly stepPct: number;
  private readonly liquidFanStepPct: number;
  private readonly pumpStepPct: number;
  private readonly coolantMarginC: number;
  private liquidModel: ThermalPredictor | undefined;
  private warnedNoLiquidModel = false;
  private readonly cpuMarginC: number;
  private readonly driveMarginC: number;
  private readonly fallbackErrorC: number;
  private readonly probationPredictions: number;
  private readonly loadWindowPeriods: number;
  private readonly recoverErrorC: number;
  private readonly leasePeriods: number;
  private readonly log: (message: string) => void;
  private plannedPeriods = 0;
  private fallbackPeriods = 0;
  private readonly liquidTuning: ChoiceTuning;
  /** Hosts that announce their watts: one tuning per distinct set, so the candidates' watts are computed once per set. */
  private readonly tuningByWatts = new Map<string, ChoiceTuning>();

  constructor(
    private model: ThermalPredictor | undefined,
    private readonly options: MpcPolicyOptions,
  ) {
    this.fallback = new MpcFallback({
      baseline: options.fallback ?? "b1",
      planPeriodMs: options.planPeriodMs,
      b2Gains: options.b2Gains,
      noCutWhileHot: options.fallbackNoCutWhileHot ?? true,
      headroom: options.fallbackHeadroom ?? true,
    });
    this.tracker = new PredictionErrorTracker(options.errorTauMs ?? 60_000, 2 * options.planPeriodMs);
    this.tuning = {
      energy: { ...MPC_DEFAULT_ENERGY, ...options.energy },
      // Margins, smoothing and move blocking chosen on the training workloads by bench/closed-loop/mpc-tuning.ts,
      // its grids run in sequence with model v0005 (docs/model.md, "The sequence, with v0005").
      smoothnessWPerPct: options.smoothnessWPerPct ?? 0.05,
      switchThresholdW: options.switchThresholdW ?? 3,
      holdRounds: options.holdRounds ?? 10,
      holdReversalsOnly: options.holdReversalsOnly ?? true,
      holdToleranceC: options.holdToleranceC ?? 0.5,
      // 30 s: chosen on the training workloads (same energy as 10 s, less fan movement; docs/model.md).
      cpuConstrainFromS: options.cpuConstrainFromS ?? 30,
      infeasibleSlackC: options.infeasibleSlackC ?? 0,
    };
    this.liquidTuning = { ...this.tuning, energy: { ...this.tuning.energy, leakageWeight: options.liquidLeakageWeight ?? 1 } };
    this.stepPct = options.candidateStepPct ?? 2.5;
    this.liquidModel = options.liquidModel;
    this.liquidFanStepPct = options.liquidFanStepPct ?? MPC_LIQUID_FAN_STEP_PCT;
    this.pumpStepPct = options.pumpStepPct ?? MPC_PUMP_STEP_PCT;
    this.coolantMarginC = options.coolantMarginC ?? 1;
    if (this.liquidModel && (this.liquidModel.layout?.kind ?? "air") !== "liquid") {
      throw new CoolfleetError(ErrorCode.ConfigInvalid, "mpc liquidModel must be a model for liquid-cooled hosts (pump and coolant in its layout)");
    }
    if (model && (model.layout?.kind ?? "air") !== "air") {
      throw new CoolfleetError(ErrorCode.ConfigInvalid, "mpc model must be a model for air-cooled hosts; pass a liquid model as liquidModel");
    }
    this.cpuMarginC = options.cpuMarginC ?? 0.5;
    this.driveMarginC = options.driveMarginC ?? 1;
    this.fallbackErrorC = options.fallbackErrorC ?? 2.5;
    // 40: chosen on the training workloads with W9's faults injected (mpc-tuning.js … probation; docs/model.md).
    this.probationPredictions = options.probationPredictions ?? 40;
    this.loadWindowPeriods = Math.max(1, Math.min(HISTORY_PERIODS, Math.round(options.loadWindowPeriods ?? 3)));
    this.recoverErrorC = options.recoverErrorC ?? 1.2;
    this.leasePeriods = options.leasePeriods ?? DEFAULT_LEASE_PERIODS;
    this.log = options.log ?? (() => undefined);
    // Holding a level within its tolerance must never let a prediction pass the target itself.
    if (!(this.tuning.holdToleranceC >= 0 && this.tuning.holdToleranceC <= this.cpuMarginC && this.tuning.holdToleranceC <= this.driveMarginC)) {
      throw new CoolfleetError(ErrorCode.ConfigInvalid, `mpc holdToleranceC (${this.tuning.holdToleranceC}) must be between 0 and the CPU and drive margins (${this.cpuMarginC}, ${this.driveMarginC}) °C`);
    }
    if (!model) this.log(`mpc: no thermal model yet (cold start): every host is planned by ${this.fallbackId}`);
  }

  /**
   * Serves another model from the next plan on (a newly promoted version). Hosts keep their history; the live
   * prediction error, measured from here on against the new model, decides as before which hosts it plans.
   */
  useModel(model: ThermalPredictor): void {
    this.model = model;
  }

  /** The same for the model of liquid-cooled hosts. */
  useLiquidModel(model: ThermalPredictor): void {
    this.liquidModel = model;
  }

  plan(input: PlannerInput): SetpointProposal[] {
    const routed: RoutedHost[] = [];
    for (const host of input.hosts) {
      if (!hasTrustedCpu(host) || !host.capabilities) continue;
      const memory = this.memoryFor(host.hostId);
      memory.history.push(sampleFromView(host));
      this.plannedPeriods++;
      const errorC = this.tracker.observe(host.hostId, input.nowMs, nowValues(memory.history).cpuC);
      const kind: CoolingKind = controlsPump(host.capabilities) ? "liquid" : "air";
      routed.push({ host, memory, kind, reason: this.fallbackReason(host, kind, memory, errorC), errorC });
    }
    // The model's inputs, written once per host: a host with one missing never joins the batch.
    const batches = { air: this.stateBatch(this.model, routed, "air", input), liquid: this.stateBatch(this.liquidModel, routed, "liquid", input) };
    const fallbackHosts: HostView[] = [];
    for (const r of routed) {
      this.noteRoute(r.host.hostId, r.reason, r.errorC, r.memory.missingInputs);
      if (r.reason) fallbackHosts.push(r.host);
    }
    this.fallbackPeriods += fallbackHosts.length;
    const proposals: SetpointProposal[] = [];
    if (this.model && batches.air.hosts.length > 0) proposals.push(...this.planWithModel(this.model, input.nowMs, batches.air));
    if (this.liquidModel && batches.liquid.hosts.length > 0) proposals.push(...this.planWithModel(this.liquidModel, input.nowMs, batches.liquid));
    if (fallbackHosts.length > 0) proposals.push(...this.fallback.plan(input, fallbackHosts));
    return proposals;
  }

  /**
   * The hosts of one kind the model predicts this round, with their state rows: those it plans, and those on the
   * fallback for their prediction error or on probation (predicted for the fan they actually run, so their error is
   * measured and they can recover). A host whose state row is not finite, or whose load is unknown, is routed to
   * the fallback as "missing-inputs" instead.
   */
  private stateBatch(model: ThermalPredictor | undefined, routed: readonly RoutedHost[], kind: CoolingKind, input: PlannerInput): StateBatch {
    const hosts: ModelHost[] = [];
    if (!model) return { hosts, state: new Float32Array(0) };
    const layout = model.layout ?? AIR_LAYOUT;
    const nState = layout.state.length;
    const candidates = routed.filter((r) => r.kind === kind && (r.reason === undefined || r.reason === "prediction-error" || r.reason === "probation"));
    const state = new Float32Array(candidates.length * nState);
    for (const r of candidates) {
      const offset = hosts.length * nState;
      layout.writeState(r.memory.history, state, offset);
      r.memory.missingInputs = [];
      for (let j = 0; j < nState; j++) if (!Number.isFinite(state[offset + j])) r.memory.missingInputs.push(layout.state[j] ?? `#${j}`);
      if (!Number.isFinite(r.memory.history.mean("utilPct", 0, this.loadWindowPeriods - 1))) r.memory.missingInputs.push("utilPct");
      if (r.memory.missingInputs.length > 0) {
        r.reason = "missing-inputs";
        continue;
      }
      hosts.push({ host: r.host, memory: r.memory, objective: objectiveFor(input, r.host.hostId), kind, shadow: r.reason !== undefined });
    }
    return { hosts, state: state.subarray(0, hosts.length * nState) };
  }

  forget(hostIds: Iterable<string>): void {
    const ids = [...hostIds];
    this.fallback.forget(ids);
    for (const id of ids) {
      this.memory.delete(id);
      this.onFallback.delete(id);
      this.tracker.forget(id);
    }
  }

  /** The fallback baseline's name in log lines ("B1" or "B2"). */
  get fallbackId(): string {
    return this.fallback.baseline.id.toUpperCase();
  }

  /** Whether (and why) a host is currently planned by the fallback baseline: the per-host fallback flag. */
  fallbackOf(hostId: string): MpcFallbackReason | undefined {
    return this.onFallback.get(hostId);
  }

  /**
   * Who plans the host: "mpc", or the fallback with its reason. A host not planned yet starts in its warm-up (or
   * cold start, without a model).
   */
  routeOf(hostId: string): PlanRoute {
    const reason = this.onFallback.get(hostId) ?? (this.memory.has(hostId) ? undefined : this.model || this.liquidModel ? "warm-up" : "cold-start");
    return reason === undefined ? { policy: this.id } : { policy: this.fallback.baseline.id, reason };
  }

  /** Share of host-periods planned by the fallback baseline since this policy was made. */
  fallbackShare(): number {
    return this.plannedPeriods > 0 ? this.fallbackPeriods / this.plannedPeriods : 0;
  }

  /** The model's live 10 s prediction error for a host, °C. */
  liveErrorC(hostId: string): number | undefined {
    return this.tracker.errorC(hostId);
  }

  private memoryFor(hostId: string): HostMemory {
    let memory = this.memory.get(hostId);
    if (!memory) {
      memory = { history: new HostHistory(HISTORY_PERIODS), lastPct: undefined, lastPumpPct: undefined, challengerRounds: 0, lastMoveSign: 0, errorFallback: false, missingInputs: [] };
      this.memory.set(hostId, memory);
    }
    return memory;
  }

  private fallbackReason(host: HostView, kind: CoolingKind, memory: HostMemory, errorC: number | undefined): MpcFallbackReason | undefined {
    if (kind === "liquid" && !this.liquidModel) {
      if (this.model && !this.warnedNoLiquidModel) this.log(`mpc: no thermal model for liquid-cooled hosts yet (cold start): they are planned by ${this.fallbackId}`);
      this.warnedNoLiquidModel = true;
      return "cold-start";
    }
    if (kind === "air" && !this.model) return "cold-start";
    if (!controlsFans(host.capabilities)) return "fans-not-controlled";
    if (memory.history.length < HISTORY_PERIODS) return "warm-up";
    // Hysteresis: out above fallbackErrorC, back only below recoverErrorC.
    if (errorC !== undefined) {
      if (!memory.errorFallback && errorC > this.fallbackErrorC) memory.errorFallback = true;
      else if (memory.errorFallback && errorC < this.recoverErrorC) memory.errorFallback = false;
    }
    if (memory.errorFallback) return "prediction-error";
    return this.tracker.scoredCount(host.hostId) < this.probationPredictions ? "probation" : undefined;
  }

  /** Keeps the per-host flag, says so in the log when a host changes hands, and gives the fallback a fresh start each time. */
  private noteRoute(hostId: string, reason: MpcFallbackReason | undefined, errorC: number | undefined, missingInputs: readonly string[]): void {
    const before = this.onFallback.get(hostId);
    if (reason === before) return;
    if (reason === "missing-inputs") {
      const hint = missingInputs.includes("inletC") ? " (no trusted inlet reading: is the inlet sensor in the agent config, with role inlet?)" : "";
      this.log(`mpc: host ${hostId} is planned by ${this.fallbackId}: the model needs ${missingInputs.join(", ")}, which its readings of the last minute cannot give${hint}`);
    }
    if (reason === "prediction-error") {
      this.log(`mpc: host ${hostId} falls back to ${this.fallbackId}: live 10 s prediction error ${errorC?.toFixed(2)} °C > ${this.fallbackErrorC} °C`);
    } else if (before === "prediction-error" && reason === undefined) {
      this.log(`mpc: host ${hostId} back on the model: live prediction error ${errorC?.toFixed(2)} °C < ${this.recoverErrorC} °C`);
    }
    if (reason === undefined) {
      this.onFallback.delete(hostId);
      this.fallback.forget([hostId]);
    } else {
      this.onFallback.set(hostId, reason);
    }
  }

  /**
   * The choice tuning for one host: its kind's, with the fan, pump and leakage watts its birth announces in place of
   * the defaults (a Mac Pro's four fans draw a third of a PowerEdge's six, which moves the fan-against-leakage trade).
   */
  private tuningOf(memory: HostMemory, caps: Capabilities | undefined, liquid: boolean): ChoiceTuning {
    const base = liquid ? this.liquidTuning : this.tuning;
    const fanW = caps?.fans.maxPowerW;
    const pumpW = caps?.pump?.maxPowerW;
    const leakage = caps?.cpuLeakage;
    if (fanW === undefined && pumpW === undefined && leakage === undefined) return base;
    const last = memory.energy;
    if (last?.liquid === liquid && last.fanW === fanW && last.pumpW === pumpW && last.at85W === leakage?.at85W && last.doublingK === leakage?.doublingK) return last.tuning;
    const key = `${liquid ? "liquid" : "air"} ${fanW} ${pumpW} ${leakage?.at85W} ${leakage?.doublingK}`;
    let tuning = this.tuningByWatts.get(key);
    if (!tuning) {
      // Bounded: a fleet has a handful of hardware kinds; agents announcing ever-new values only cost recomputation.
      if (this.tuningByWatts.size >= MAX_ENERGY_MODELS) this.tuningByWatts.clear();
      const energy: MpcEnergyModel = {
        ...base.energy,
        ...(fanW === undefined ? {} : { fanMaxPowerW: fanW }),
        ...(pumpW === undefined ? {} : { pumpMaxPowerW: pumpW }),
        ...(leakage === undefined ? {} : { leakageAt85W: leakage.at85W, leakageDoublingK: leakage.doublingK }),
      };
      tuning = { ...base, energy };
      this.tuningByWatts.set(key, tuning);
    }
    memory.energy = { liquid, fanW, pumpW, at85W: leakage?.at85W, doublingK: leakage?.doublingK, tuning };
    return tuning;
  }

  /** One batched prediction and a choice per host, for hosts of one kind of cooling (the model's). */
  private planWithModel(model: ThermalPredictor, nowMs: number, { hosts, state }: StateBatch): SetpointProposal[] {
    const layout = model.layout ?? AIR_LAYOUT;
    const liquid = layout.kind === "liquid";
    const nOutputs = layout.outputs.length;
    const n = hosts.length;
    const load = new Float32Array(n * N_LOAD);
    const bounds = { fanLow: 100, fanHigh: 0, pumpLow: 100, pumpHigh: 0 };
    hosts.forEach(({ host, memory, objective }, i) => {
      load.set(loadForecast(memory.history, objective, this.loadWindowPeriods), i * N_LOAD);
      bounds.fanLow = Math.min(bounds.fanLow, host.capabilities?.fans.minPct ?? 0);
      bounds.fanHigh = Math.max(bounds.fanHigh, host.capabilities?.fans.maxPct ?? 100);
      bounds.pumpLow = Math.min(bounds.pumpLow, host.capabilities?.pump?.minPct ?? 0);
      bounds.pumpHigh = Math.max(bounds.pumpHigh, host.capabilities?.pump?.maxPct ?? 100);
    });
    const { candidates, pumps } = liquid
      ? pairGrid(candidateGrid(bounds.fanLow, bounds.fanHigh, this.liquidFanStepPct), candidateGrid(bounds.pumpLow, bounds.pumpHigh, this.pumpStepPct))
      : { candidates: candidateGrid(bounds.fanLow, bounds.fanHigh, this.stepPct), pumps: undefined };
    // One batched call for the whole round: N hosts × K candidates.
    const predictions = model.predictGrid(state, load, candidates, pumps);
    const proposals: SetpointProposal[] = [];
    // The 10 s prediction is centred on t + 10; the host's "now" (a three-period mean) is centred there one period later.
    const dueMs = nowMs + 11 * this.options.planPeriodMs;
    hosts.forEach(({ host, memory, objective, shadow }, i) => {
      const now = nowValues(memory.history);
      const caps = host.capabilities;
      if (shadow) {
        const k = nearestIndex(candidates, pumps, host.fanPct ?? 100, host.pumpPct ?? 100);
        this.tracker.record(host.hostId, dueMs, now.cpuC + (predictions[(i * candidates.length + k) * nOutputs + CPU10] ?? Number.NaN));
        memory.lastPct = undefined;
        memory.lastPumpPct = undefined;
        memory.challengerRounds = 0;
        memory.lastMoveSign = 0;
        return;
      }
      const choice = chooseFanPct(
        candidates,
        predictions,
        i * candidates.length * nOutputs,
        {
          cpuNowC: now.cpuC,
          driveNowC: now.driveC,
          cpuLimitC: limitC(host, "cpu", objective) - this.cpuMarginC,
          driveLimitC: limitC(host, "drive", objective) - this.driveMarginC,
          previousPct: memory.lastPct,
          challengerRounds: memory.challengerRounds,
          lastMoveSign: memory.lastMoveSign,
          minPct: caps?.fans.minPct ?? 0,
          maxPct: caps?.fans.maxPct ?? 100,
          ...(liquid
            ? {
                previousPumpPct: memory.lastPumpPct,
                pumpMinPct: caps?.pump?.minPct ?? 0,
                pumpMaxPct: caps?.pump?.maxPct ?? 100,
                coolantNowC: memory.history.mean("coolantC", 0, 2),
                coolantLimitC: limitC(host, "coolant", objective) - this.coolantMarginC,
              }
            : {}),
        },
        this.tuningOf(memory, caps, liquid),
        pumps,
        nOutputs,
      );
      memory.lastPct = choice.fanPct;
      memory.lastPumpPct = choice.pumpPct;
      memory.challengerRounds = choice.challengerRounds;
      memory.lastMoveSign = choice.lastMoveSign;
      this.tracker.record(host.hostId, dueMs, choice.predictedCpuC[0] ?? Number.NaN);
      const setpoints = setpointsFor(caps, choice.fanPct, choice.pumpPct);
      if (setpoints) proposals.push({ hostId: host.hostId, setpoints, ttlMs: leaseTtlMs(host, this.leasePeriods) });
    });
    return proposals;
  }
}

const CPU10 = OUTPUTS.indexOf("cpuIn10C");
const MAX_ENERGY_MODELS = 64;

/**
 * The load assumed over the horizons: it stays where it is (persistence), except under the feed-forward objective
 * (Scaling), where a rise of the last half-minute is carried on.
 */
function loadForecast(h: HostHistory, objective: HostObjective, windowPeriods: number): number[] {
  const utilNow = h.mean("utilPct", 0, windowPeriods - 1);
  const riseRate = objective.kind === "feedforward" ? Math.max(0, (h.mean("utilPct", 0, 9) - h.mean("utilPct", 20, 39)) / 25) : 0;
  const ahead = (horizonS: number): number => Math.min(100, utilNow + (riseRate * horizonS) / 2);
  const diskMBps = h.mean("diskMBps", 0, 9);
  return [ahead(10), ahead(30), ahead(60), Number.isFinite(diskMBps) ? diskMBps : 0];
}

/** The lowest objective-adjusted target of the host's trusted sensors in a role; +∞ without one. */
function limitC(host: HostView, role: "cpu" | "drive" | "coolant", objective: HostObjective): number {
  let limit = Number.POSITIVE_INFINITY;
  for (const t of host.temperatures) if (t.role === role && isTrusted(t)) limit = Math.min(limit, effectiveTargetC(t, objective));
  return limit;
}
