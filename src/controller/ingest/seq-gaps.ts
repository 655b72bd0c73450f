/** One boot of one host: the sequence numbers seen so far span firstSeq … lastSeq. */
interface BootSpan {
  firstSeq: number;
  lastSeq: number;
}

interface HostGaps {
  /** The boots still tracked, oldest first (a redelivery from the boot before must not read as a new start). */
  boots: Map<string, BootSpan>;
  missing: number;
}

/** What noting one message found: how many messages its sequence number shows missing, or that it came late. */
export interface SeqNote {
  newlyMissing: number;
  /** A message counted missing arrived after all (seq within the span seen of its boot). */
  late: boolean;
}

const BOOTS_PER_HOST = 2;

/**
 * Telemetry that never arrived, from the sequence numbers agents give each message of a boot (0, 1, 2, …): a jump
 * from seq 10 to 14 is 3 messages missing. A message that arrives late inside the span seen (reordering, a QoS 1
 * redelivery after a reconnect) is taken off again. Messages before the first one seen of a boot (the controller
 * started later) are not counted, nor is anything across a new boot. Only messages the ingest accepted (not
 * duplicates) are noted. Memory: one entry per host, at most maxHosts (the oldest noted host is forgotten).
 */
export class SeqGaps {
  private readonly hosts = new Map<string, HostGaps>();
  private gapTotal = 0;
  private lateTotal = 0;

  constructor(private readonly maxHosts = 100_000) {}

  note(hostId: string, boot: string, seq: number): SeqNote {
    let host = this.hosts.get(hostId);
    if (!host) {
      if (this.hosts.size >= this.maxHosts) {
        const oldest = this.hosts.keys().next().value;
        if (oldest !== undefined) this.hosts.delete(oldest);
      }
      host = { boots: new Map(), missing: 0 };
      this.hosts.set(hostId, host);
    }
    const span = host.boots.get(boot);
    if (!span) {
      host.boots.set(boot, { firstSeq: seq, lastSeq: seq });
      if (host.boots.size > BOOTS_PER_HOST) {
        const oldest = host.boots.keys().next().value;
        if (oldest !== undefined) host.boots.delete(oldest);
      }
      return { newlyMissing: 0, late: false };
    }
    if (seq > span.lastSeq) {
      const newlyMissing = seq - span.lastSeq - 1;
      span.lastSeq = seq;
      host.missing += newlyMissing;
      this.gapTotal += newlyMissing;
      return { newlyMissing, late: false };
    }
    if (seq < span.firstSeq) {
      span.firstSeq = seq;
      return { newlyMissing: 0, late: false };
    }
    // Inside the span and not a duplicate (the ingest drops those within its dedupe window): one of the messages
    // counted missing.
    if (host.missing === 0) return { newlyMissing: 0, late: false };
    host.missing--;
    this.lateTotal++;
    return { newlyMissing: 0, late: true };
  }

  /**
   * Over the whole fleet since the controller started: messages a sequence jump showed missing, and of those, how
   * many came late after all. Both only grow (Prometheus counters); gaps − late never arrived.
   */
  counts(): { gaps: number; late: number } {
    return { gaps: this.gapTotal, late: this.lateTotal };
  }

  /** Messages missing from one host since the controller started (0 for a host not seen). */
  missingOf(hostId: string): number {
    return this.hosts.get(hostId)?.missing ?? 0;
  }
}
