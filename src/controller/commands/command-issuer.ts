import { randomUUID } from "node:crypto";
import { ACK_STATUSES, PROTOCOL_VERSION, type Ack, type AckStatus, type Command, type Setpoints } from "../../protocol/index.js";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import type { SetpointProposal } from "../types.js";
import { CommandSeq } from "./command-seq.js";
import { LatencyWindow } from "./latency-window.js";

export interface CommandIssuerOptions {
  /** Last seq per host from the store; without it seqs are seeded from the clock (see CommandSeq). */
  lastSeqByHost?: Iterable<readonly [string, number]>;
  /** Skip a command whose set-points equal the last one's while that one's lease is still fresh (default true). */
  skipUnchanged?: boolean;
  /** Set-points within this many percentage points count as unchanged (default 0.5). */
  unchangedTolerancePct?: number;
  /** An unchanged set-point is re-sent once no more than this fraction of the last lease is left (default 0.5). */
  resendAtLeaseFraction?: number;
  /** Acks kept for the latency percentiles (default 1024). */
  latencyWindow?: number;
  /** An unacked command is given up as lost this long after its expiresAt (default 60 000 ms). */
  ackGraceMs?: number;
  /** Command id factory (default crypto.randomUUID). */
  newId?: () => string;
}

export interface CommandIssuerStats {
  sent: number;
  /** Proposals not sent because the host already holds the same set-point with a fresh lease. */
  skipped: number;
  /** Final acks matched to a command we sent, by status. */
  acked: Record<AckStatus, number>;
  /** Commands that got no ack until ackGraceMs after they expired. */
  lost: number;
  /** Over the most recent acks (latencyWindow), receive time − issuedAt; undefined before the first ack. */
  ackLatencyP50Ms: number | undefined;
  ackLatencyP99Ms: number | undefined;
  /** Commands sent and not yet acked or given up. */
  outstanding: number;
}

interface SentCommand {
  host: string;
  seq: number;
  issuedAt: number;
  expiresAt: number;
  setpoints: Setpoints;
}

/** The command most recently sent to a host, and whether the agent might still hold it. */
interface HostLast {
  id: string;
  cmd: SentCommand;
}

/**
 * Turns set-point proposals into protocol Commands (id, per-host monotonic seq, issuedAt, expiresAt), skips the
 * ones that would change nothing, and matches acks to what was sent. It does no I/O: the caller publishes the
 * commands it returns and feeds it the acks it receives.
 */
export class CommandIssuer {
  private readonly seq: CommandSeq;
  private readonly skipUnchanged: boolean;
  private readonly tolerancePct: number;
  private readonly resendFraction: number;
  private readonly ackGraceMs: number;
  private readonly newId: () => string;
  private readonly latency: LatencyWindow;
  private readonly outstanding = new Map<string, SentCommand>();
  private readonly lastByHost = new Map<string, HostLast>();
  private sent = 0;
  private skipped = 0;
  private lost = 0;
  private readonly acked = Object.fromEntries(ACK_STATUSES.map((s) => [s, 0])) as Record<AckStatus, number>;

  constructor(options: CommandIssuerOptions = {}) {
    this.seq = new CommandSeq(options.lastSeqByHost);
    this.skipUnchanged = options.skipUnchanged ?? true;
    this.tolerancePct = nonNegative(options.unchangedTolerancePct ?? 0.5, "unchangedTolerancePct");
    this.resendFraction = nonNegative(options.resendAtLeaseFraction ?? 0.5, "resendAtLeaseFraction");
    this.ackGraceMs = nonNegative(options.ackGraceMs ?? 60_000, "ackGraceMs");
    const window = options.latencyWindow ?? 1024;
    if (!Number.isInteger(window) || window < 1) {
      throw new CoolfleetError(ErrorCode.ConfigInvalid, `command issuer latencyWindow must be a whole number ≥ 1, got ${window}`);
    }
    this.latency = new LatencyWindow(window);
    this.newId = options.newId ?? randomUUID;
  }

  /** The Commands to publish for these proposals at nowMs (the controller's clock). */
  issue(proposals: readonly SetpointProposal[], nowMs: number): Command[] {
    // The protocol's timestamps are whole ms; a fractional clock must not make every command invalid.
    const issuedAt = Math.floor(nowMs);
    this.giveUpLost(issuedAt);
    const commands: Command[] = [];
    for (const proposal of proposals) {
      if (!(proposal.ttlMs > 0) || !Number.isFinite(proposal.ttlMs)) continue;
      if (this.skipUnchanged && this.stillHeld(proposal, issuedAt)) {
        this.skipped++;
        continue;
      }
      const cmd: Command = {
        v: PROTOCOL_VERSION,
        id: this.newId(),
        host: proposal.hostId,
        seq: this.seq.next(proposal.hostId, issuedAt),
        issuedAt,
        expiresAt: issuedAt + Math.ceil(proposal.ttlMs),
        setpoints: { ...proposal.setpoints },
      };
      const sent: SentCommand = { host: cmd.host, seq: cmd.seq, issuedAt: cmd.issuedAt, expiresAt: cmd.expiresAt, setpoints: cmd.setpoints };
      this.outstanding.set(cmd.id, sent);
      this.lastByHost.set(cmd.host, { id: cmd.id, cmd: sent });
      this.sent++;
      commands.push(cmd);
    }
    return commands;
  }

  /**
   * Matches an ack to the command it answers; returns the ack latency in ms (receivedAtMs − issuedAt), or undefined
   * for an ack that answers nothing outstanding (unknown id, another host's or seq, or a second ack for the same
   * command, e.g. "replayed" after a QoS 1 redelivery: the first final ack counts).
   */
  onAck(ack: Ack, receivedAtMs: number): number | undefined {
    const cmd = this.outstanding.get(ack.cmdId);
    if (!cmd || cmd.host !== ack.host || cmd.seq !== ack.seq) return undefined;
    this.outstanding.delete(ack.cmdId);
    this.acked[ack.status]++;
    const latencyMs = Math.max(0, receivedAtMs - cmd.issuedAt);
    this.latency.add(latencyMs);
    // A set-point the agent does not hold must not suppress the next identical proposal.
    const last = this.lastByHost.get(ack.host);
    if (ack.status !== "applied" && last?.id === ack.cmdId) this.lastByHost.delete(ack.host);
    return latencyMs;
  }

  /** Raises a host's seq floor, e.g. from the cmdSeq its telemetry reports (see CommandSeq). */
  observeSeq(hostId: string, seq: number): void {
    this.seq.observe(hostId, seq);
  }

  /** Last seq per host, for the store to persist. */
  lastSeqs(): Map<string, number> {
    return this.seq.snapshot();
  }

  /** Forgets a host's last set-point and outstanding commands (decommissioned); its seq floor is kept. */
  forgetHost(hostId: string): void {
    this.lastByHost.delete(hostId);
    for (const [id, cmd] of this.outstanding) if (cmd.host === hostId) this.outstanding.delete(id);
  }

  stats(): CommandIssuerStats {
    return {
      sent: this.sent,
      skipped: this.skipped,
      acked: { ...this.acked },
      lost: this.lost,
      ackLatencyP50Ms: this.latency.percentileMs(50),
      ackLatencyP99Ms: this.latency.percentileMs(99),
      outstanding: this.outstanding.size,
    };
  }

  /** Whether the host already holds these set-points with more than resendAtLeaseFraction of the lease left. */
  private stillHeld(proposal: SetpointProposal, nowMs: number): boolean {
    const last = this.lastByHost.get(proposal.hostId);
    if (!last) return false;
    const { issuedAt, expiresAt, setpoints } = last.cmd;
    const leftMs = expiresAt - nowMs;
    if (leftMs <= this.resendFraction * (expiresAt - issuedAt)) return false;
    return samePct(setpoints.fanPct, proposal.setpoints.fanPct, this.tolerancePct) && samePct(setpoints.pumpPct, proposal.setpoints.pumpPct, this.tolerancePct);
  }

  /** Bounds the outstanding map: a command unacked well past its expiry will not be acked (agent gone, ack lost). */
  private giveUpLost(nowMs: number): void {
    for (const [id, cmd] of this.outstanding) {
      if (cmd.expiresAt + this.ackGraceMs < nowMs) {
        this.outstanding.delete(id);
        this.lost++;
      }
    }
  }
}

function samePct(a: number | undefined, b: number | undefined, tolerancePct: number): boolean {
  if (a === undefined || b === undefined) return a === b;
  return Math.abs(a - b) <= tolerancePct;
}

function nonNegative(value: number, name: string): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `command issuer ${name} must be a finite number ≥ 0, got ${value}`);
  }
  return value;
}
