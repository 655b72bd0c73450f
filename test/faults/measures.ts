import { loadProfile } from "../../firmware-sim/index.js";
import type { SimSnapshot } from "../../firmware-sim/physics/types.js";
import type { Ack, Command, Telemetry } from "../../src/protocol/index.js";

/**
 * Seconds a host's true temperatures spent at or over a hard limit of its profile: a die at Tj max or a drive at
 * its data-sheet limit (the benchmark's "over limit"). Fed with the physics after every step.
 */
export class OverLimitMeter {
  overLimitS = 0;
  maxDieC = Number.NEGATIVE_INFINITY;
  private readonly driveLimitC: Map<string, number>;

  constructor(profileId: string) {
    this.driveLimitC = new Map(loadProfile(profileId).drives.map((d) => [d.name, d.limitC]));
  }

  sample(snap: SimSnapshot, dtS: number): void {
    const dieOver = snap.sockets.some((s) => s.dieC >= snap.tjMaxC);
    const driveOver = snap.drives.some((d) => d.tempC >= (this.driveLimitC.get(d.name) ?? Number.POSITIVE_INFINITY));
    for (const s of snap.sockets) this.maxDieC = Math.max(this.maxDieC, s.dieC);
    if (dieOver || driveOver) this.overLimitS += dtS;
  }
}

/** Telemetry seqs one agent boot produced (0..produced−1) that never arrived. */
export function telemetryLost(received: readonly Telemetry[], boot: string, produced: number): number {
  const seen = new Set(received.filter((t) => t.boot === boot).map((t) => t.seq));
  let lost = 0;
  for (let seq = 0; seq < produced; seq++) if (!seen.has(seq)) lost++;
  return lost;
}

/**
 * Commands (counted once each) that came into force when they should not have, judged by the controller's (true) clock:
 * - an "applied" ack for a command sent already expired, or a replay sent on purpose;
 * - a second "applied" ack for the same command id;
 * - telemetry of a period whose true time is at or past the expiresAt of the command it says was in force.
 * trueTimeOf maps a telemetry message to the true time of its control period.
 */
export function staleCommandsApplied(opts: {
  acks: readonly Ack[];
  telemetry: readonly Telemetry[];
  sent: readonly Command[];
  mustNotApply: ReadonlySet<string>;
  trueTimeOf: (t: Telemetry) => number | undefined;
}): { count: number; why: string[] } {
  const why: string[] = [];
  const offenders = new Set<string>();
  const appliedIds = new Map<string, number>();
  for (const ack of opts.acks) {
    if (ack.status !== "applied") continue;
    appliedIds.set(ack.cmdId, (appliedIds.get(ack.cmdId) ?? 0) + 1);
    if (opts.mustNotApply.has(ack.cmdId)) {
      offenders.add(ack.cmdId);
      why.push(`${ack.cmdId} applied (stale or replayed)`);
    }
  }
  for (const [id, n] of appliedIds) {
    if (n <= 1) continue;
    offenders.add(id);
    why.push(`${id} applied ${n} times`);
  }
  const bySeq = new Map(opts.sent.map((c) => [c.seq, c]));
  const seen = new Set<string>();
  for (const t of opts.telemetry) {
    if (t.cmdSeq === undefined || seen.has(`${t.boot}/${t.seq}`)) continue;
    seen.add(`${t.boot}/${t.seq}`);
    const cmd = bySeq.get(t.cmdSeq);
    const at = opts.trueTimeOf(t);
    if (cmd && at !== undefined && at >= cmd.expiresAt) {
      offenders.add(cmd.id);
      why.push(`seq ${t.seq}: command ${cmd.id} in force ${at - cmd.expiresAt} ms past its expiresAt`);
    }
  }
  return { count: offenders.size, why };
}
