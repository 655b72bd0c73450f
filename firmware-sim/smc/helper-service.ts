import type { Clock, TimerHandle } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/logger.js";
import {
  SMC_PROTOCOL_VERSION,
  SmcRequest,
  type FanLimits,
  type ForceScheme,
  type SmcErrorCode,
  type SmcResponse,
} from "../../src/hardware/smc/protocol.js";

/** What the helper needs from an SMC: key reads and writes plus what hello reports. */
export interface SmcKeyAccess {
  readonly scheme: ForceScheme;
  readonly model: string;
  fanLimits(): FanLimits[];
  tempKeys(): string[];
  readKey(key: string): number | undefined;
  /** Throws when the SMC refuses. */
  writeKey(key: string, value: number): void;
}

export interface SmcHelperServiceOptions {
  smc: SmcKeyAccess;
  clock: Clock;
  /** Leases asked for longer are granted this long. Default 60 000. */
  maxLeaseMs?: number;
  helperName?: string;
  logger?: Logger;
}

const FORCE_MASK_KEY = "FS! ";

class RequestError extends Error {
  constructor(
    readonly code: SmcErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The helper's protocol semantics, apart from any socket: one client at a time holds the fan lease; setFans maps
 * % to RPM between each fan's min and max and forces the fans; the fans go back to the SMC's automatic control when
 * the lease lapses, the holder releases it, the holder's connection closes, or the helper shuts down.
 */
export class SmcHelperService {
  private readonly opts: SmcHelperServiceOptions;
  private readonly maxLeaseMs: number;
  private holderId: number | undefined;
  private leaseMs = 0;
  private leaseTimer: TimerHandle | undefined;
  /** Times the fans were handed back to automatic control, for any reason. */
  autoRestores = 0;
  /** Of those, leases that ran out. */
  leaseLapses = 0;

  constructor(opts: SmcHelperServiceOptions) {
    this.opts = opts;
    this.maxLeaseMs = opts.maxLeaseMs ?? 60_000;
  }

  /** The connection holding the fan lease, if any. */
  holder(): number | undefined {
    return this.holderId;
  }

  /** Answers one parsed JSON message from connection connectionId. */
  handle(connectionId: number, raw: unknown): SmcResponse {
    const id = idOf(raw);
    const parsed = SmcRequest.safeParse(raw);
    if (!parsed.success) {
      const op = raw && typeof raw === "object" && "op" in raw ? raw.op : undefined;
      const known = ["hello", "readFans", "readTemps", "takeControl", "setFans", "release"];
      if (typeof op === "string" && !known.includes(op)) return failure(id, "unknown_op", `unknown op "${op}"; known: ${known.join(", ")}`);
      return failure(id, "bad_request", parsed.error.issues.map((i) => `${i.path.join(".") || "(message)"}: ${i.message}`).join("; "));
    }
    const request = parsed.data;
    try {
      return { id: request.id, ok: true, result: this.dispatch(connectionId, request) };
    } catch (err) {
      if (err instanceof RequestError) return failure(request.id, err.code, err.message);
      return failure(request.id, "smc_error", err instanceof Error ? err.message : String(err));
    }
  }

  /** A client went away: if it held the lease, the fans go back to the SMC now rather than at lease expiry. */
  connectionClosed(connectionId: number): void {
    if (this.holderId === connectionId) this.restoreAuto("holder disconnected");
  }

  /** The helper is stopping: never leave fans forced (forced mode can survive a reboot). */
  shutdown(): void {
    if (this.holderId !== undefined) this.restoreAuto("helper shutting down");
  }

  private dispatch(connectionId: number, request: SmcRequest): unknown {
    const smc = this.opts.smc;
    switch (request.op) {
      case "hello":
        return {
          protocol: SMC_PROTOCOL_VERSION,
          helper: this.opts.helperName ?? "coolfleet-sim-smc-helper",
          model: smc.model,
          forceScheme: smc.scheme,
          fans: smc.fanLimits(),
          tempKeys: smc.tempKeys(),
          maxLeaseMs: this.maxLeaseMs,
        };
      case "readFans":
        return {
          fans: smc.fanLimits().map((f) => ({
            ...f,
            actualRpm: smc.readKey(`F${f.index}Ac`) ?? 0,
            targetRpm: smc.readKey(`F${f.index}Tg`) ?? 0,
            mode: this.isForced(f.index) ? "forced" : "auto",
          })),
        };
      case "readTemps":
        return { temps: Object.fromEntries(request.keys.map((key) => [key, smc.readKey(key) ?? null])) };
      case "takeControl": {
        if (this.holderId !== undefined && this.holderId !== connectionId) throw new RequestError("lease_held", "another client holds the fan lease");
        this.holderId = connectionId;
        this.leaseMs = Math.min(request.leaseMs, this.maxLeaseMs);
        this.armLease();
        return { leaseMs: this.leaseMs };
      }
      case "setFans": {
        if (this.holderId !== connectionId) throw new RequestError("no_lease", "setFans needs the fan lease: send takeControl first");
        const targetRpm = smc.fanLimits().map((f) => f.minRpm + (request.pct / 100) * (f.maxRpm - f.minRpm));
        this.force(targetRpm);
        this.armLease();
        return { targetRpm };
      }
      case "release": {
        if (this.holderId !== connectionId) return { restored: false };
        this.restoreAuto("released");
        return { restored: true };
      }
    }
  }

  private isForced(index: number): boolean {
    const smc = this.opts.smc;
    return smc.scheme === "t2" ? smc.readKey(`F${index}Md`) === 1 : ((smc.readKey(FORCE_MASK_KEY) ?? 0) & (1 << index)) !== 0;
  }

  /** T2: mode key first, then the float target. Older Intel: target first, then the force bit. */
  private force(targetRpm: readonly number[]): void {
    const smc = this.opts.smc;
    if (smc.scheme === "t2") {
      targetRpm.forEach((rpm, n) => {
        smc.writeKey(`F${n}Md`, 1);
        smc.writeKey(`F${n}Tg`, rpm);
      });
    } else {
      targetRpm.forEach((rpm, n) => smc.writeKey(`F${n}Tg`, rpm));
      smc.writeKey(FORCE_MASK_KEY, (1 << targetRpm.length) - 1);
    }
  }

  private restoreAuto(reason: string): void {
    this.disarmLease();
    this.holderId = undefined;
    const smc = this.opts.smc;
    if (smc.scheme === "t2") for (const f of smc.fanLimits()) smc.writeKey(`F${f.index}Md`, 0);
    else smc.writeKey(FORCE_MASK_KEY, 0);
    this.autoRestores++;
    this.opts.logger?.info({ reason }, "sim smc helper: fans back to automatic");
  }

  private armLease(): void {
    this.disarmLease();
    this.leaseTimer = this.opts.clock.setTimeout(() => {
      this.leaseTimer = undefined;
      this.leaseLapses++;
      this.restoreAuto("lease lapsed");
    }, this.leaseMs);
  }

  private disarmLease(): void {
    if (this.leaseTimer) this.opts.clock.clearTimeout(this.leaseTimer);
    this.leaseTimer = undefined;
  }
}

function idOf(raw: unknown): number | null {
  const id = raw && typeof raw === "object" && "id" in raw ? raw.id : undefined;
  return typeof id === "number" && Number.isInteger(id) && id >= 0 ? id : null;
}

function failure(id: number | null, code: SmcErrorCode, message: string): SmcResponse {
  return { id, ok: false, error: { code, message } };
}
