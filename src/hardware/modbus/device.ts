import type { Clock, TimerHandle } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { MODBUS_DEFAULTS } from "./config-schema.js";
import { ModbusLink, type LinkState, type ModbusStats } from "./link.js";
import { planReads, type ReadBlock } from "./read-plan.js";
import type { RegisterMap } from "./register-map.js";
import type { RegisterDef, RegisterRole } from "./register-map-schema.js";
import { ModbusRequestError } from "./request-error.js";
import type { Pause } from "./retry.js";
import { rawToValue, valueToRaw } from "./scaling.js";
import type { ModbusTransportFactory } from "./transport.js";

export interface CachedValue {
  /** Engineering value (raw × scale). */
  value: number;
  raw: number;
  /** Clock ms when the answer arrived. */
  sampledAtMs: number;
}

/** A flags register decoded: which named bits are set. */
export interface FlagsStatus {
  raw: number;
  set: string[];
  sampledAtMs: number;
}

export interface PollResult {
  blocksRead: number;
  blocksFailed: number;
}

export interface ModbusDeviceOptions {
  /** Short name, the prefix of reading ids ("cdu" → "cdu:flow"). */
  name: string;
  map: RegisterMap;
  transportFactory: ModbusTransportFactory;
  clock: Clock;
  /** The slow loop: every register is read this often and cached. Default 2000. */
  pollMs?: number;
  /** Further attempts after a timeout or CRC error. Default 2. */
  retries?: number;
  /** Pause before the first retry, doubling per retry. Default 50. */
  retryBackoffMs?: number;
  reconnectMinMs?: number;
  reconnectMaxMs?: number;
  /** How retries wait (tests pass a recorder). */
  pause?: Pause;
  /** For logs; default the device name. */
  label?: string;
  logger?: Logger;
}

export { MODBUS_DEFAULTS } from "./config-schema.js";

/**
 * One Modbus device behind its register map: a slow poll loop of its own caches every readable register, so
 * the agent's sweep never waits on the serial line; writes go through the same link, one request at a time.
 */
export class ModbusDevice {
  readonly name: string;
  readonly map: RegisterMap;
  private readonly link: ModbusLink;
  private readonly clock: Clock;
  private readonly pollMs: number;
  private readonly blocks: ReadBlock[];
  private readonly cache = new Map<string, CachedValue>();
  private readonly logger: Logger | undefined;
  private timer: TimerHandle | undefined;
  private polling: Promise<PollResult> | undefined;
  private running = false;
  private failingBlocks = new Set<string>();

  constructor(opts: ModbusDeviceOptions) {
    this.name = opts.name;
    this.map = opts.map;
    this.clock = opts.clock;
    this.pollMs = opts.pollMs ?? MODBUS_DEFAULTS.pollMs;
    this.logger = opts.logger;
    this.blocks = planReads(opts.map.registers, opts.map.maxReadGap, opts.map.maxReadCount);
    this.link = new ModbusLink({
      label: opts.label ?? opts.name,
      transportFactory: opts.transportFactory,
      clock: opts.clock,
      retry: { retries: opts.retries ?? MODBUS_DEFAULTS.retries, backoffMs: opts.retryBackoffMs ?? MODBUS_DEFAULTS.retryBackoffMs },
      reconnectMinMs: opts.reconnectMinMs ?? MODBUS_DEFAULTS.reconnectMinMs,
      reconnectMaxMs: opts.reconnectMaxMs ?? MODBUS_DEFAULTS.reconnectMaxMs,
      ...(opts.pause ? { pause: opts.pause } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    // Fresh values as soon as the port is back, rather than up to one poll period later.
    this.link.on("state", (state) => {
      if (state === "connected" && this.running) void this.pollNow();
    });
  }

  /** Opens the port (or starts retrying), reads every register once, then polls every pollMs. */
  async start(): Promise<void> {
    this.running = true;
    await this.link.start();
    if (this.link.state() === "connected") await this.pollNow();
    this.scheduleNext();
  }

  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    await this.polling?.catch(() => undefined);
    await this.link.stop();
  }

  linkState(): LinkState {
    return this.link.state();
  }

  /** Resolves when the link reaches state; for start-up sequencing and tests. */
  whenLinkState(state: LinkState): Promise<void> {
    return this.link.whenState(state);
  }

  /** Subscribes to link state changes. */
  onLinkState(listener: (state: LinkState, reason: string | undefined) => void): void {
    this.link.on("state", listener);
  }

  disconnectedSinceMs(): number | undefined {
    return this.link.disconnectedSinceMs();
  }

  stats(): ModbusStats {
    return this.link.stats();
  }

  /** The last value read (or written) for a register, if any. */
  value(name: string): CachedValue | undefined {
    return this.cache.get(name);
  }

  /** The decoded flags register with a role (leak_flags, fault_word); undefined if absent, unread or the link is down. */
  flags(role: Extract<RegisterRole, "leak_flags" | "fault_word">): FlagsStatus | undefined {
    const reg = this.map.byRole(role);
    const cached = reg && this.link.state() === "connected" ? this.cache.get(reg.name) : undefined;
    if (!reg || !cached) return undefined;
    const set = Object.entries(reg.bits ?? {})
      .filter(([, bit]) => (cached.raw & (1 << bit)) !== 0)
      .map(([name]) => name);
    // A bit the map does not name still counts: a leak bit we cannot name is still a leak.
    const named = Object.values(reg.bits ?? {}).reduce((mask, bit) => mask | (1 << bit), 0);
    const unnamed = cached.raw & ~named & 0xffff;
    if (unnamed !== 0) set.push(`bits 0x${unnamed.toString(16)}`);
    return { raw: cached.raw, set, sampledAtMs: cached.sampledAtMs };
  }

  /** Reads every readable register once; a block that fails keeps its last values (and their sample times). */
  pollNow(): Promise<PollResult> {
    if (this.polling) return this.polling;
    this.polling = this.readAllBlocks().finally(() => {
      this.polling = undefined;
    });
    return this.polling;
  }

  /** Reads one register now (bypassing the cache) and caches it. */
  async readRegister(name: string): Promise<number> {
    const reg = this.register(name);
    const [word] = await this.readWords(reg.function, reg.address, 1, `read ${reg.name}`);
    return this.store(reg, word ?? 0).value;
  }

  /**
   * Writes an engineering value (clamped to the register's limits, rounded to its scale) with the register's write
   * function. Returns the value as written.
   */
  async writeRegister(name: string, value: number): Promise<number> {
    const reg = this.register(name);
    if (!reg.writable) throw new ModbusRequestError("exception", `${this.name}: register "${name}" is not writable in map ${this.map.name}`, 2);
    const word = valueToRaw(reg, value);
    await this.link.request(`write ${reg.name}=${value}`, (t) => (reg.writeFunction === 16 ? t.writeMultiple(reg.address, [word]) : t.writeSingle(reg.address, word)));
    return this.store(reg, word).value;
  }

  private register(name: string): RegisterDef {
    const reg = this.map.byName(name);
    if (!reg) throw new RangeError(`${this.name}: map ${this.map.name} has no register "${name}"`);
    return reg;
  }

  private store(reg: RegisterDef, word: number): CachedValue {
    const cached = { value: rawToValue(reg, word), raw: word & 0xffff, sampledAtMs: this.clock.nowMs() };
    this.cache.set(reg.name, cached);
    return cached;
  }

  private readWords(fn: RegisterDef["function"], address: number, count: number, what: string): Promise<number[]> {
    return this.link.request(what, (t) => (fn === "holding" ? t.readHolding(address, count) : t.readInput(address, count)));
  }

  private async readAllBlocks(): Promise<PollResult> {
    const result: PollResult = { blocksRead: 0, blocksFailed: 0 };
    for (const block of this.blocks) {
      if (this.link.state() !== "connected") {
        result.blocksFailed += 1;
        continue;
      }
      const key = `${block.function} ${block.address}+${block.count}`;
      try {
        const words = await this.readWords(block.function, block.address, block.count, `read ${key}`);
        for (const reg of block.registers) {
          const word = words[reg.address - block.address];
          if (word !== undefined) this.store(reg, word);
        }
        result.blocksRead += 1;
        if (this.failingBlocks.delete(key)) this.logger?.info({ device: this.name, block: key }, "modbus block readable again");
      } catch (err) {
        result.blocksFailed += 1;
        // A device that let a whole block time out will not answer the next one either; giving up on this poll
        // keeps a dead device from holding the line (and the actuator's writes) for blocks × attempts × timeout.
        if (err instanceof ModbusRequestError && err.failure === "timeout") {
          result.blocksFailed += this.blocks.length - this.blocks.indexOf(block) - 1;
          this.noteFailure(key, err);
          break;
        }
        this.noteFailure(key, err);
      }
    }
    return result;
  }

  /** Logged once per episode, not every poll: a dead register would otherwise flood the journal. */
  private noteFailure(key: string, err: unknown): void {
    if (this.failingBlocks.has(key)) return;
    this.failingBlocks.add(key);
    this.logger?.warn({ device: this.name, block: key, err: err instanceof Error ? err.message : String(err) }, "modbus block read failed");
  }

  private scheduleNext(): void {
    if (!this.running) return;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      void this.pollNow().finally(() => this.scheduleNext());
    }, this.pollMs);
  }
}
