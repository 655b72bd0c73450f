import type { AckStatus, Command } from "../protocol/index.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";

/** An ack the agent owes the controller; the caller adds v, host, boot and ts. */
export interface AckDecision {
  cmdId: string;
  seq: number;
  status: AckStatus;
  reason?: string;
}

export interface CommandLeaseOptions {
  hostId: string;
  /** The longest a command is honoured after it arrives, whatever its expiresAt says. */
  maxLeaseMs: number;
}

interface LeasedCommand {
  cmd: Command;
  /**
   * When the lease ends, on the lease's step-free time line: arrival + min(time left to expiresAt, the command's
   * own lifetime expiresAt − issuedAt, maxLeaseMs).
   */
  leaseEndsAtMs: number;
}

/** Ids remembered for replay detection; QoS 1 redelivers recent messages, so a short memory is enough. */
const REMEMBERED_IDS = 256;

/**
 * L3 input: which controller set-points may be applied, and for how long. A command is accepted only if it is for
 * this host, unexpired and newer (by seq) than every command accepted before; it is applied at the next control tick
 * and stays in force until its lease ends, after which control lapses back to L2.
 *
 * Wall-clock steps: the caller passes wall time, which NTP or a bad RTC can step. Leases are measured on a
 * step-free time line kept here (wall time with every backward step taken out), so a clock stepping back never
 * extends a lease and a clock stepping forward only ends it early. A backward step is also remembered for the
 * expiry check: a command already expired by the time this agent had seen before the step stays expired, until a
 * command whose issuedAt agrees with the wall clock (within maxLeaseMs, and closer than to the step-free time)
 * shows that the wall clock and the controller agree again.
 */
export class CommandLease {
  private readonly hostId: string;
  private readonly maxLeaseMs: number;
  private pending: LeasedCommand | undefined;
  private current: LeasedCommand | undefined;
  private readonly seenIds = new Set<string>();
  private lastSeq: number | undefined;
  /** The last wall time passed in, and the step-free time line (≥ wall time; the gap is the backward steps seen). */
  private lastWallMs: number | undefined;
  private steadyMs = 0;

  constructor(opts: CommandLeaseOptions) {
    // A NaN cap would make every lease endless: refuse it rather than fail open.
    if (!Number.isFinite(opts.maxLeaseMs) || opts.maxLeaseMs <= 0) {
      throw new CoolfleetError(ErrorCode.ConfigInvalid, `maxLeaseMs must be a positive number of milliseconds, got ${opts.maxLeaseMs}`);
    }
    this.hostId = opts.hostId;
    this.maxLeaseMs = opts.maxLeaseMs;
  }

  /** seq of the newest command accepted this boot (pending, applied, or since superseded). */
  get lastAcceptedSeq(): number | undefined {
    return this.lastSeq;
  }

  /** Checks an arriving command; returns the acks to send now (none when it is accepted: "applied" comes later). */
  receive(cmd: Command, nowMs: number): AckDecision[] {
    const steadyMs = this.observe(nowMs);
    const ack = (status: AckStatus, reason: string): AckDecision[] => [{ cmdId: cmd.id, seq: cmd.seq, status, reason }];
    if (cmd.host !== this.hostId) return ack("rejected", `wrong host (addressed to ${cmd.host}, this is ${this.hostId})`);
    if (cmd.expiresAt <= nowMs) return ack("expired", `expiresAt is ${nowMs - cmd.expiresAt} ms in the past on arrival`);
    const backMs = steadyMs - nowMs;
    if (backMs > 0 && this.wallAgreesWith(cmd.issuedAt, nowMs, steadyMs)) {
      this.resync(backMs);
    } else if (cmd.expiresAt <= steadyMs) {
      return ack("expired", `expiresAt is ${steadyMs - cmd.expiresAt} ms in the past on arrival (this agent's clock stepped back by ${backMs} ms)`);
    }
    // A QoS 1 redelivery of an accepted command lands here: it must not renew the lease.
    if (cmd.seq === this.lastSeq || this.seenIds.has(cmd.id)) return ack("rejected", "replayed");
    if (this.lastSeq !== undefined && cmd.seq < this.lastSeq) {
      return ack("rejected", `out of order (seq ${cmd.seq} ≤ ${this.lastSeq})`);
    }

    const acks: AckDecision[] = [];
    if (this.pending) {
      const old = this.pending.cmd;
      acks.push({ cmdId: old.id, seq: old.seq, status: "superseded", reason: `superseded by seq ${cmd.seq} before it was applied` });
    }
    const at = this.steadyMs;
    // The command's own lifetime bounds the lease too: an agent clock running behind the controller's must not
    // hold a set-point longer than the controller meant it to last.
    const leaseMs = Math.min(cmd.expiresAt - at, cmd.expiresAt - cmd.issuedAt, this.maxLeaseMs);
    this.pending = { cmd, leaseEndsAtMs: at + leaseMs };
    this.lastSeq = cmd.seq;
    this.remember(cmd.id);
    return acks;
  }

  /** At a control tick: the accepted command to apply now (it becomes the active one), or the ack for one that lapsed while waiting. */
  takePending(nowMs: number): { cmd: Command; acks: AckDecision[] } | { cmd: undefined; acks: AckDecision[] } {
    const steadyMs = this.observe(nowMs);
    const pending = this.pending;
    if (!pending) return { cmd: undefined, acks: [] };
    this.pending = undefined;
    if (pending.leaseEndsAtMs <= steadyMs) {
      const { id, seq } = pending.cmd;
      return { cmd: undefined, acks: [{ cmdId: id, seq, status: "expired", reason: "lease ended before a control tick could apply it" }] };
    }
    this.current = pending;
    return { cmd: pending.cmd, acks: [] };
  }

  /** The command in force, or undefined once its lease has lapsed (then L2 takes over). */
  active(nowMs: number): Command | undefined {
    const steadyMs = this.observe(nowMs);
    if (this.current && this.current.leaseEndsAtMs <= steadyMs) this.current = undefined;
    return this.current?.cmd;
  }

  /** When the lease of the command last applied ends, as wall time on the agent's clock; undefined when none is active. */
  leaseEndsAt(): number | undefined {
    if (!this.current || this.lastWallMs === undefined) return undefined;
    return this.lastWallMs + (this.current.leaseEndsAtMs - this.steadyMs);
  }

  /** Moves the step-free time line by the wall time that passed since the last call; a step back moves it by 0. */
  private observe(nowMs: number): number {
    if (!Number.isFinite(nowMs)) return this.steadyMs;
    if (this.lastWallMs === undefined) this.steadyMs = nowMs;
    else if (nowMs > this.lastWallMs) this.steadyMs += nowMs - this.lastWallMs;
    this.lastWallMs = nowMs;
    return this.steadyMs;
  }

  /** After a backward step: the controller's issuedAt sides with the wall clock, so the step was a correction. */
  private wallAgreesWith(issuedAtMs: number, nowMs: number, steadyMs: number): boolean {
    const fromWall = Math.abs(issuedAtMs - nowMs);
    return fromWall <= this.maxLeaseMs && fromWall < Math.abs(issuedAtMs - steadyMs);
  }

  /** Brings the step-free time line back to the wall clock, keeping what is left of every lease as it was. */
  private resync(backMs: number): void {
    this.steadyMs -= backMs;
    if (this.pending) this.pending.leaseEndsAtMs -= backMs;
    if (this.current) this.current.leaseEndsAtMs -= backMs;
  }

  private remember(id: string): void {
    this.seenIds.add(id);
    if (this.seenIds.size > REMEMBERED_IDS) {
      // Sets iterate in insertion order: drop the oldest id.
      const oldest = this.seenIds.values().next().value;
      if (oldest !== undefined) this.seenIds.delete(oldest);
    }
  }
}
