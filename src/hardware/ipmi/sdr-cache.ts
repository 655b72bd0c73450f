import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SystemClock, type Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { describeFailure } from "./ipmitool-failure.js";
import { runSafely, type IpmiCommandRunner } from "./ipmitool-runner.js";

/** Get SDR Repository Info (IPMI v2.0 section 33.9): NetFn Storage, command 0x20; any user may ask. */
export const SDR_REPOSITORY_INFO_COMMAND = ["raw", "0x0a", "0x20"] as const;

/** One state of a BMC's SDR repository, as Get SDR Repository Info tells it. */
export interface SdrRepositoryState {
  records: number;
  /** Record count and the most recent addition and erase timestamps: equal stamps, unchanged repository. */
  stamp: string;
}

/**
 * Reads `ipmitool raw 0x0a 0x20` output (hex bytes: version, record count, free space, most recent addition, most
 * recent erase, operation support). Undefined for anything else: a refusal, a short answer, stray text.
 */
export function parseSdrRepositoryInfo(stdout: string): SdrRepositoryState | undefined {
  const tokens = stdout.trim().split(/\s+/);
  if (tokens.length < 14 || !tokens.every((t) => /^[0-9a-f]{2}$/i.test(t))) return undefined;
  const bytes = tokens.map((t) => Number.parseInt(t, 16));
  const records = (bytes[1] ?? 0) | ((bytes[2] ?? 0) << 8);
  // Free space (bytes 3–4) is left out: it says nothing about the records a reader has.
  const timestamps = tokens.slice(5, 13).join("").toLowerCase();
  return { records, stamp: `${records}:${timestamps}` };
}

/**
 * Records in an `ipmitool sdr dump` file: each a 5-byte header (record id, SDR version, record type, length) and
 * that many bytes. Undefined when the file does not parse to its end: ipmitool reading such a file with -S keeps
 * the records before the fault and walks no further, so sensors would go missing without a word.
 */
export function sdrDumpRecordCount(file: Buffer): number | undefined {
  let offset = 0;
  let records = 0;
  while (offset < file.length) {
    if (offset + 5 > file.length) return undefined;
    const version = file.readUInt8(offset + 2);
    const length = file.readUInt8(offset + 4);
    if (version !== 0x51 && version !== 0x01 && version !== 0x02) return undefined;
    offset += 5 + length;
    if (offset > file.length) return undefined;
    records++;
  }
  return records;
}

export interface SdrCacheOptions {
  /**
   * Runs `sdr dump FILE` in an ipmitool process of its own (a one-shot run): ipmitool appends what it dumps to the
   * records it already holds, so a dump from inside a session that has listed sensors would repeat them.
   */
  dumpRunner: IpmiCommandRunner;
  /** Where the cache files go (default: a private directory made under the system's temporary directory). */
  dir?: string;
  /** A cache this old is dumped again even if the repository says it has not changed (default 1 h). */
  maxAgeMs?: number;
  /** After a failure the cache stays off this long before it is tried again (default 10 min). */
  retryAfterMs?: number;
  clock?: Clock;
  logger?: Logger;
}

/** What a session should do once its cache has been checked against the BMC. */
export type SdrCacheVerdict = "keep" | "reopen";

/**
 * The BMC's SDR repository, dumped to a file that every new ipmitool session reads with `-S` instead of walking
 * the repository record by record (on an iDRAC over the LAN about 44 of a listing's 48 datagrams; in-band, seconds
 * of KCS traffic). Each session asks Get SDR Repository Info when it starts; when the record count or the addition
 * or erase timestamps differ from the cached ones, or the cache is older than maxAgeMs, the repository is dumped
 * again and the session reopened on the new file. When the BMC does not answer that question, or a dump fails or does
 * not parse, the cache is off for retryAfterMs (a warning the first time) and sessions walk the repository as they
 * would without it.
 */
export class SdrCache {
  private readonly clock: Clock;
  private readonly maxAgeMs: number;
  private readonly retryAfterMs: number;
  private current: { state: SdrRepositoryState; file: string; dumpedAtMs: number } | undefined;
  private ownDir: string | undefined;
  private generation = 0;
  /** Why the cache is off, and until when; undefined while it is in use. */
  private offReason: string | undefined;
  private offUntilMs = 0;
  private warned = false;

  constructor(private readonly opts: SdrCacheOptions) {
    this.clock = opts.clock ?? new SystemClock();
    this.maxAgeMs = opts.maxAgeMs ?? 3_600_000;
    this.retryAfterMs = opts.retryAfterMs ?? 600_000;
  }

  /** Why the cache is not in use, or undefined while it is. */
  get off(): string | undefined {
    return this.offReason;
  }

  /** ipmitool options for a new session (`-S FILE` while a cache exists), and the repository stamp they stand for. */
  sessionOptions(): { args: string[]; stamp: string | undefined } {
    const current = this.offReason === undefined ? this.current : undefined;
    return current ? { args: ["-S", current.file], stamp: current.state.stamp } : { args: [], stamp: undefined };
  }

  /**
   * A session has started on the cache stamped `sessionStamp` (undefined: none); `infoStdout` is the BMC's answer to
   * Get SDR Repository Info in it (undefined: refused). Dumps the repository when it changed or the cache is old.
   * "reopen" when the session's records are not the current cache's (it runs on an older file, or on none while a
   * file now exists, or on a file the cache has just given up).
   */
  async check(infoStdout: string | undefined, sessionStamp: string | undefined): Promise<SdrCacheVerdict> {
    if (this.offReason !== undefined) {
      if (this.clock.nowMs() < this.offUntilMs) return sessionStamp === undefined ? "keep" : "reopen";
      this.offReason = undefined;
    }
    const state = infoStdout === undefined ? undefined : parseSdrRepositoryInfo(infoStdout);
    if (!state) {
      this.switchOff(`the BMC did not answer Get SDR Repository Info${infoStdout === undefined ? "" : ` as expected (${JSON.stringify(infoStdout.trim().slice(0, 80))})`}`);
      return sessionStamp === undefined ? "keep" : "reopen";
    }
    const current = this.current;
    const fresh = current !== undefined && current.state.stamp === state.stamp && this.clock.nowMs() - current.dumpedAtMs < this.maxAgeMs;
    if (fresh) return sessionStamp === state.stamp ? "keep" : "reopen";
    const dumped = await this.dump(state);
    if (!dumped) return sessionStamp === undefined ? "keep" : "reopen";
    return "reopen";
  }

  /** Removes the cache files (a directory it made itself goes with them). */
  dispose(): void {
    if (this.current) rmSync(this.current.file, { force: true });
    this.current = undefined;
    if (this.ownDir) rmSync(this.ownDir, { recursive: true, force: true });
    this.ownDir = undefined;
  }

  private async dump(state: SdrRepositoryState): Promise<boolean> {
    let file: string;
    try {
      const dir = this.opts.dir ?? (this.ownDir ??= mkdtempSync(join(tmpdir(), "coolfleet-sdr-")));
      file = join(dir, `sdr-${process.pid}-${++this.generation}.bin`);
    } catch (err) {
      this.switchOff(`no directory for the cache file (${err instanceof Error ? err.message : String(err)})`);
      return false;
    }
    const outcome = await runSafely(this.opts.dumpRunner, ["sdr", "dump", file]);
    if (!outcome.ok) {
      rmSync(file, { force: true });
      this.switchOff(`ipmitool sdr dump failed: ${describeFailure(outcome.failure)}`);
      return false;
    }
    let records: number | undefined;
    try {
      records = sdrDumpRecordCount(readFileSync(file));
    } catch {
      records = undefined;
    }
    if (records !== state.records) {
      rmSync(file, { force: true });
      this.switchOff(`the dump holds ${records === undefined ? "unreadable records" : `${records} records`} where the BMC reports ${state.records}`);
      return false;
    }
    const previous = this.current;
    this.current = { state, file, dumpedAtMs: this.clock.nowMs() };
    // Sessions read their -S file once, when they start: the old one is no longer needed by any of them.
    if (previous) rmSync(previous.file, { force: true });
    this.opts.logger?.info({ records, dumpMs: Math.round(outcome.durationMs), replaced: previous !== undefined }, "ipmi: SDR repository cached; new sessions read it instead of walking the repository");
    return true;
  }

  private switchOff(reason: string): void {
    this.offReason = reason;
    this.offUntilMs = this.clock.nowMs() + this.retryAfterMs;
    if (this.current) rmSync(this.current.file, { force: true });
    this.current = undefined;
    const message = `ipmi: SDR cache off; new sessions walk the BMC's SDR repository (tried again in ${Math.round(this.retryAfterMs / 60_000)} min)`;
    if (this.warned) this.opts.logger?.debug({ reason }, message);
    else this.opts.logger?.warn({ reason }, message);
    this.warned = true;
  }
}
