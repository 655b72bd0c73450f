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
  /** min(expiresAt, receivedAtMs + maxLeaseMs), on the agent's clock. */
  leaseEndsAtMs: number;
}

/** Ids remembered for replay detection; QoS 1 redelivers recent messages, so a short memory is enough. */
const REMEMBERED_IDS = 256;

/**
 * L3 input: which controller set-points may be applied, and for how long. A command is accepted only if it is for
 * this host, unexpired and newer (by seq) than every command accepted before; it is applied at the next control tick
 * and stays in force until its lease ends, after which control lapses back to L2.
 */
export class CommandLease {
  private readonly hostId: string;
  private readonly maxLeaseMs: number;
  private pending: LeasedCommand | undefined;
  private current: LeasedCommand | undefined;
  private readonly seenIds = new Set<string>();
  private lastSeq: number | undefined;

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
    const ack = (status: AckStatus, reason: string): AckDecision[] => [{ cmdId: cmd.id, seq: cmd.seq, status, reason }];
    if (cmd.host !== this.hostId) return ack("rejected", `wrong host (addressed to ${cmd.host}, this is ${this.hostId})`);
    if (cmd.expiresAt <= nowMs) return ack("expired", `expiresAt is ${nowMs - cmd.expiresAt} ms in the past on arrival`);
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
    this.pending = { cmd, leaseEndsAtMs: Math.min(cmd.expiresAt, nowMs + this.maxLeaseMs) };
    this.lastSeq = cmd.seq;
    this.remember(cmd.id);
    return acks;
  }

  /** At a control tick: the accepted command to apply now (it becomes the active one), or the ack for one that lapsed while waiting. */
  takePending(nowMs: number): { cmd: Command; acks: AckDecision[] } | { cmd: undefined; acks: AckDecision[] } {
    const pending = this.pending;
    if (!pending) return { cmd: undefined, acks: [] };
    this.pending = undefined;
    if (pending.leaseEndsAtMs <= nowMs) {
      const { id, seq } = pending.cmd;
      return { cmd: undefined, acks: [{ cmdId: id, seq, status: "expired", reason: "lease ended before a control tick could apply it" }] };
    }
    this.current = pending;
    return { cmd: pending.cmd, acks: [] };
  }

  /** The command in force, or undefined once its lease has lapsed (then L2 takes over). */
  active(nowMs: number): Command | undefined {
    if (this.current && this.current.leaseEndsAtMs <= nowMs) this.current = undefined;
    return this.current?.cmd;
  }

  /** When the lease of the command last applied ends (agent clock, ms); undefined when none is active. */
  leaseEndsAt(): number | undefined {
    return this.current?.leaseEndsAtMs;
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
