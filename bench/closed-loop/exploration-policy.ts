import { createRng, type Rng } from "../../firmware-sim/rng.js";
import { B1StepwisePolicy } from "../../src/controller/planner/policy-b1-stepwise.js";
import { B2CascadePidPolicy } from "../../src/controller/planner/policy-b2-pid.js";
import type { PlannerInput, PlanningPolicy } from "../../src/controller/planner/policy.js";
import { leaseTtlMs, setpointsFor } from "../../src/controller/planner/proposal.js";
import type { HostView, SetpointProposal } from "../../src/controller/types.js";

interface Hold {
  value: number;
  untilMs: number;
}

/**
 * Set-points for training data: the model must see the whole fan range, not only what one controller does. Hosts
 * take turns by index: random fan levels held 10–180 s (the whole range, into runaway and the governor's override;
 * on liquid-cooled hosts a random pump level too, held on its own clock);
 * B2 (the target region, where MPC's constraints bind); B1 with a random offset of ±20 points held 30–120 s.
 */
export class ExplorationPolicy implements PlanningPolicy {
  readonly id = "explore";
  private readonly rng: Rng;
  /** Pump levels draw from their own stream, so air-cooled runs see exactly the fan levels they always did. */
  private readonly pumpRng: Rng;
  private readonly pumpHolds = new Map<string, Hold>();
  private readonly b1 = new B1StepwisePolicy();
  private readonly b2: B2CascadePidPolicy;
  private readonly holds = new Map<string, Hold>();
  private readonly modes = new Map<string, number>();

  constructor(seed: number, planPeriodMs = 1000) {
    this.rng = createRng(seed).fork("explore");
    this.pumpRng = createRng(seed).fork("explore-pump");
    this.b2 = new B2CascadePidPolicy(planPeriodMs);
  }

  plan(input: PlannerInput): SetpointProposal[] {
    const groups: HostView[][] = [[], [], []];
    for (const host of input.hosts) groups[this.modeOf(host.hostId)]?.push(host);
    const proposals: SetpointProposal[] = [];
    for (const host of groups[0] ?? []) {
      const level = this.held(host.hostId, input.nowMs, 10, 180, () => 20 + 80 * this.rng.next());
      // A liquid-cooled host's pump holds its own random level, independent of the fans, so a model can tell them apart.
      const pumpLevel = host.capabilities?.pump ? this.heldPump(host.hostId, input.nowMs) : level;
      const setpoints = setpointsFor(host.capabilities, level, pumpLevel);
      if (setpoints) proposals.push({ hostId: host.hostId, setpoints, ttlMs: leaseTtlMs(host) });
    }
    proposals.push(...this.b2.plan({ ...input, hosts: groups[1] ?? [] }));
    for (const p of this.b1.plan({ ...input, hosts: groups[2] ?? [] })) {
      const offset = this.held(p.hostId, input.nowMs, 30, 120, () => -20 + 40 * this.rng.next());
      const fanPct = p.setpoints.fanPct === undefined ? undefined : p.setpoints.fanPct + offset;
      const host = (groups[2] ?? []).find((h) => h.hostId === p.hostId);
      const setpoints = setpointsFor(host?.capabilities, fanPct, p.setpoints.pumpPct);
      if (setpoints) proposals.push({ ...p, setpoints });
    }
    return proposals;
  }

  forget(hostIds: Iterable<string>): void {
    const ids = [...hostIds];
    this.b1.forget(ids);
    this.b2.forget(ids);
    for (const id of ids) {
      this.holds.delete(id);
      this.pumpHolds.delete(id);
    }
  }

  private heldPump(hostId: string, nowMs: number): number {
    const hold = this.pumpHolds.get(hostId);
    if (hold && nowMs < hold.untilMs) return hold.value;
    const next = { value: 20 + 80 * this.pumpRng.next(), untilMs: nowMs + 1000 * (10 + 170 * this.pumpRng.next()) };
    this.pumpHolds.set(hostId, next);
    return next.value;
  }

  private modeOf(hostId: string): number {
    let mode = this.modes.get(hostId);
    if (mode === undefined) {
      mode = this.modes.size % 3;
      this.modes.set(hostId, mode);
    }
    return mode;
  }

  private held(hostId: string, nowMs: number, minS: number, maxS: number, draw: () => number): number {
    const hold = this.holds.get(hostId);
    if (hold && nowMs < hold.untilMs) return hold.value;
    const next = { value: draw(), untilMs: nowMs + 1000 * (minS + (maxS - minS) * this.rng.next()) };
    this.holds.set(hostId, next);
    return next.value;
  }
}
