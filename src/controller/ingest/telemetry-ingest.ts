import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import {
  decodeAck,
  decodeHostState,
  decodeTelemetry,
  parseTopic,
  type Ack,
  type HostState,
  type Telemetry,
} from "../../protocol/index.js";
import type { TelemetryStore } from "../store/telemetry-store.js";
import { Listeners } from "./listeners.js";
import { OrderedWrites } from "./ordered-writes.js";
import { RecentKeys, telemetryKey } from "./recent-keys.js";
import { decodeFor, emptyRejectCounts, topicRejectReason, type RejectReason } from "./reject-reason.js";
import { SeqGaps } from "./seq-gaps.js";
import { TelemetryBatcher } from "./telemetry-batcher.js";

/** What ingest needs from a store. */
export type IngestStore = Pick<TelemetryStore, "appendTelemetry" | "upsertHost" | "recordAck">;

export interface IngestOptions {
  /** Longest accepted telemetry waits before a store append starts. */
  flushMs: number;
  /** Telemetry messages per store append. */
  maxBatch: number;
  /** (host, boot, seq) keys remembered to drop QoS 1 redelivery before it reaches the store. */
  dedupeWindow: number;
  /** First retry delay after a failed store write; doubles per failure up to maxRetryMs. */
  retryMs: number;
  maxRetryMs: number;
  /** Telemetry held while the store is failing before new telemetry is refused (counted as "overload"). */
  maxPending: number;
}

/** Gap warnings are per host; past this many hosts they go to debug (a broker losing everything must not flood the log). */
const MAX_GAP_WARNINGS = 1000;

/** Defaults live here and nowhere else. maxPending ≈ 4 min of a 1000-host fleet at 1 Hz. */
export const INGEST_DEFAULTS: IngestOptions = {
  flushMs: 100,
  maxBatch: 500,
  dedupeWindow: 100_000,
  retryMs: 500,
  maxRetryMs: 30_000,
  maxPending: 250_000,
};

export interface IngestStats {
  /** Valid telemetry not seen in the dedupe window: buffered for the store. accepted = stored + store duplicates + pending. */
  accepted: number;
  /** Telemetry dropped as already seen: by the in-memory window, or by the store's unique key. */
  duplicates: number;
  /**
   * Telemetry messages a jump in a host's sequence numbers showed missing (within one boot), and how many of those
   * arrived late after all: gaps − late were never stored (lost by the agent's outbox, which says so in `dropped`,
   * lost on the way — a broker queue limit, a QoS 0 bridge — or refused here, as counted in `rejected`).
   */
  seqGaps: number;
  lateArrivals: number;
  rejected: Record<RejectReason, number>;
  /** Telemetry rows the store inserted. */
  stored: number;
  /** Accepted telemetry not yet stored. */
  pending: number;
  /** Presence and ack writes not yet stored. */
  pendingWrites: number;
  /** Births/offline states the store found stale (an earlier boot's Last Will, a redelivered birth). */
  staleStates: number;
  /** Acks for a command that already had its first ack. */
  repeatAcks: number;
  /** Store writes that failed and were kept for a retry. */
  failedWrites: number;
}

export interface IngestDeps {
  store: IngestStore;
  clock: Clock;
  logger: Logger;
}

/**
 * The controller's intake: raw MQTT messages in, validated and deduplicated telemetry, presence and acks out
 * to the store and to listeners. handle() never throws; a bad message is counted by reason and dropped.
 */
export class TelemetryIngest {
  private readonly options: IngestOptions;
  private readonly store: IngestStore;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly recent: RecentKeys;
  private readonly gaps = new SeqGaps();
  private readonly batcher: TelemetryBatcher;
  private readonly writes: OrderedWrites;
  private readonly telemetryListeners: Listeners<[Telemetry]>;
  private readonly hostStateListeners: Listeners<[HostState]>;
  private readonly ackListeners: Listeners<[Ack, number | undefined]>;
  private readonly rejected = emptyRejectCounts();
  private acceptedCount = 0;
  private windowDuplicateCount = 0;
  private staleStateCount = 0;
  private repeatAckCount = 0;
  private failedWriteCount = 0;
  private closed = false;
  /** Hosts whose first telemetry gap was logged as a warning. */
  private readonly gapWarned = new Set<string>();

  constructor(deps: IngestDeps, options: Partial<IngestOptions> = {}) {
    this.options = { ...INGEST_DEFAULTS, ...options };
    this.store = deps.store;
    this.clock = deps.clock;
    this.logger = deps.logger;
    this.recent = new RecentKeys(this.options.dedupeWindow);
    this.batcher = new TelemetryBatcher((batch) => this.store.appendTelemetry(batch), this.clock, this.options, (err, retryInMs, pending) => {
      this.failedWriteCount++;
      this.logger.warn({ err, retryInMs, pending }, "telemetry append failed; batch kept for retry");
    });
    this.writes = new OrderedWrites(this.clock, this.options, (err, retryInMs, pending) => {
      this.failedWriteCount++;
      this.logger.warn({ err, retryInMs, pending }, "presence/ack write failed; kept for retry");
    });
    const onListenerError = (err: unknown): void => this.logger.error({ err }, "ingest listener threw");
    this.telemetryListeners = new Listeners(onListenerError);
    this.hostStateListeners = new Listeners(onListenerError);
    this.ackListeners = new Listeners(onListenerError);
  }

  /** Called for every accepted telemetry message as it arrives, before it is stored. Returns an unsubscribe. */
  onTelemetry(listener: (t: Telemetry) => void): () => void {
    return this.telemetryListeners.add(listener);
  }

  /** Called once a birth or offline state is stored and was not stale. */
  onHostState(listener: (s: HostState) => void): () => void {
    return this.hostStateListeners.add(listener);
  }

  /** Called once an ack is stored, unless its command already had one; latencyMs when the command is known. */
  onAck(listener: (ack: Ack, latencyMs: number | undefined) => void): () => void {
    return this.ackListeners.add(listener);
  }

  /** Feeds one MQTT message (the shape of mqtt.js's "message" event). Never throws. */
  handle(topic: string, payload: Buffer | string): void {
    try {
      this.route(topic, payload);
    } catch (err) {
      this.logger.error({ err, topic }, "ingest: unexpected error handling a message");
    }
  }

  /**
   * Feeds one MQTT message and resolves once the store has it (telemetry appended, presence or ack written),
   * or at once when the message is rejected or already stored. The controller acknowledges a QoS 1 message to
   * the broker only after this resolves, so a crash loses nothing the broker considers delivered: whatever was
   * not acknowledged is redelivered on the next connection and deduplicated. While the store fails, it waits
   * (the retry timers keep trying) and so holds back the broker. Never rejects.
   */
  async handleDurably(topic: string, payload: Buffer | string): Promise<void> {
    let kind: string | undefined;
    try {
      kind = this.route(topic, payload);
    } catch (err) {
      this.logger.error({ err, topic }, "ingest: unexpected error handling a message");
      return;
    }
    if (kind === undefined) return;
    await this.untilStored(kind === "telemetry" ? () => this.batcher.flush() : () => this.writes.flush());
  }

  /** Stores everything accepted so far; rejects if the store fails (nothing is dropped; timers retry). */
  async flush(): Promise<void> {
    await Promise.all([this.batcher.flush(), this.writes.flush()]);
  }

  /** Refuses further messages, stops the timers and flushes. Stop the MQTT subscription first. */
  async close(): Promise<void> {
    this.closed = true;
    this.batcher.stop();
    this.writes.stop();
    await this.flush();
  }

  stats(): IngestStats {
    const { stored, storeDuplicates } = this.batcher.counts();
    const gaps = this.gaps.counts();
    return {
      accepted: this.acceptedCount,
      duplicates: this.windowDuplicateCount + storeDuplicates,
      seqGaps: gaps.gaps,
      lateArrivals: gaps.late,
      rejected: { ...this.rejected },
      stored,
      pending: this.batcher.pending,
      pendingWrites: this.writes.pending,
      staleStates: this.staleStateCount,
      repeatAcks: this.repeatAckCount,
      failedWrites: this.failedWriteCount,
    };
  }

  /** Retries a flush until it succeeds or ingest is closed; a failed flush keeps its work for the retry timer. */
  private async untilStored(flush: () => Promise<void>): Promise<void> {
    for (;;) {
      try {
        await flush();
        return;
      } catch {
        if (this.closed) return;
        await new Promise<void>((resolve) => this.clock.setTimeout(resolve, this.options.retryMs));
      }
    }
  }

  /** Routes a message; returns the kind that now waits for the store, or undefined when nothing does. */
  private route(topic: string, payload: Buffer | string): "telemetry" | "write" | undefined {
    if (this.closed) {
      this.reject("closed", topic, "ingest is closed");
      return undefined;
    }
    const parsed = parseTopic(topic);
    if (!parsed) {
      this.reject(topicRejectReason(topic), topic, "not a coolfleet/v1/<host>/{telemetry,state,ack} topic");
      return undefined;
    }
    switch (parsed.kind) {
      case "telemetry":
        return this.acceptTelemetry(parsed.hostId, topic, payload) ? "telemetry" : undefined;
      case "state":
        return this.acceptHostState(parsed.hostId, topic, payload) ? "write" : undefined;
      case "ack":
        return this.acceptAck(parsed.hostId, topic, payload) ? "write" : undefined;
      default:
        this.reject("unknown_kind", topic, `the controller does not ingest "${parsed.kind}" messages`);
        return undefined;
    }
  }

  /** True when the message now waits in the batcher, or an earlier copy may still (a window duplicate). */
  private acceptTelemetry(topicHost: string, topic: string, payload: Buffer | string): boolean {
    const decoded = decodeFor(decodeTelemetry, payload);
    if (!decoded.ok) return this.reject(decoded.reason, topic, decoded.detail);
    const t = decoded.value;
    if (t.host !== topicHost) return this.rejectHostMismatch(topic, t.host);
    const key = telemetryKey(t.host, t.boot, t.seq);
    if (this.recent.has(key)) {
      this.windowDuplicateCount++;
      // The first copy may not be stored yet: a durable caller waits for it as for its own.
      return true;
    }
    if (this.batcher.pending >= this.options.maxPending) {
      return this.reject("overload", topic, `${this.batcher.pending} messages already wait for the store`);
    }
    this.recent.add(key);
    this.acceptedCount++;
    this.noteSeq(t);
    this.batcher.add(t);
    this.telemetryListeners.emit(t);
    return true;
  }

  /** Counts telemetry that never arrived; the first gap of each host is worth a warning, later ones a debug line. */
  private noteSeq(t: Telemetry): void {
    const { newlyMissing } = this.gaps.note(t.host, t.boot, t.seq);
    if (newlyMissing === 0) return;
    const detail = { host: t.host, boot: t.boot, missing: newlyMissing, fromSeq: t.seq - newlyMissing, toSeq: t.seq - 1, agentDropped: t.dropped, hostMissing: this.gaps.missingOf(t.host) };
    if (!this.gapWarned.has(t.host) && this.gapWarned.size < MAX_GAP_WARNINGS) {
      this.gapWarned.add(t.host);
      this.logger.warn(detail, "telemetry missing: a gap in the host's sequence numbers (further gaps of this host at debug)");
    } else {
      this.logger.debug(detail, "telemetry missing");
    }
  }

  private acceptHostState(topicHost: string, topic: string, payload: Buffer | string): boolean {
    const decoded = decodeFor(decodeHostState, payload);
    if (!decoded.ok) return this.reject(decoded.reason, topic, decoded.detail);
    const state = decoded.value;
    if (state.host !== topicHost) return this.rejectHostMismatch(topic, state.host);
    this.writes.enqueue(async () => {
      const { applied } = await this.store.upsertHost(state);
      if (applied) this.hostStateListeners.emit(state);
      else this.staleStateCount++;
    });
    return true;
  }

  private acceptAck(topicHost: string, topic: string, payload: Buffer | string): boolean {
    const decoded = decodeFor(decodeAck, payload);
    if (!decoded.ok) return this.reject(decoded.reason, topic, decoded.detail);
    const ack = decoded.value;
    if (ack.host !== topicHost) return this.rejectHostMismatch(topic, ack.host);
    // Latency is to arrival here, not to when a retried write finally succeeds.
    const receivedAtMs = this.clock.nowMs();
    this.writes.enqueue(async () => {
      const match = await this.store.recordAck(ack, receivedAtMs);
      if (match.outcome === "repeat") this.repeatAckCount++;
      else this.ackListeners.emit(ack, match.latencyMs);
    });
    return true;
  }

  private rejectHostMismatch(topic: string, payloadHost: string): false {
    return this.reject("host_mismatch", topic, `payload is from host "${payloadHost}"`);
  }

  /** Counts and logs a rejected message; returns false so an accept path can `return this.reject(…)`. */
  private reject(reason: RejectReason, topic: string, detail: string): false {
    this.rejected[reason]++;
    // The first of each kind is worth a warning; a flood of the same is not worth a log line each.
    if (this.rejected[reason] === 1) this.logger.warn({ reason, topic, detail }, "ingest rejected a message (further ones of this reason at debug)");
    else this.logger.debug({ reason, topic, detail }, "ingest rejected a message");
    return false;
  }
}
