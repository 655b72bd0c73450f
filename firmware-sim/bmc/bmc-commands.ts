import { cipherSuiteRecords } from "./cipher-suites.js";
import { CompletionCode, fail, ok, type CommandResult } from "./completion-codes.js";
import { CMD_DELL_FAN_CONTROL, handleDellFanControl, NETFN_DELL_OEM } from "./dell-fan-commands.js";
import { deviceIdResponse, type DeviceIdentity } from "./device-identity.js";
import type { FanModeLease } from "./fan-mode.js";
import type { IpmiRequest } from "./ipmi-message.js";
import type { BmcPersonality } from "./personality.js";
import { isPrivilegeLevel, Privilege, type PrivilegeLevel } from "./privilege.js";
import type { SdrRepository } from "./sdr-repository.js";
import type { SensorBank } from "./sensor-bank.js";

export const NetFn = { SensorEvent: 0x04, App: 0x06, Storage: 0x0a } as const;
/** The BMC's one LAN channel. */
export const LAN_CHANNEL = 0x01;
const CURRENT_CHANNEL = 0x0e;

/** The session a command arrived in, as the command handlers may see and change it. */
export interface CommandSession {
  readonly maxPrivilege: PrivilegeLevel;
  privilege: PrivilegeLevel;
}

export interface CommandContext {
  /** undefined for the few commands allowed outside a session. */
  session: CommandSession | undefined;
  nowMs: number;
  /** Marks a session for closing once the response has gone out; false if there is no such session. */
  closeSession(bmcSessionId: number): boolean;
}

/** Everything the command handlers act on. */
export interface BmcServices {
  identity: DeviceIdentity;
  sdr: SdrRepository;
  sensors: SensorBank;
  fans: FanModeLease;
  fanCount: number;
  personality: () => BmcPersonality;
  cipherSuiteIds: readonly number[];
  /** Whether IPMI v1.5 sessions (MD5) are offered. */
  lan15: boolean;
}

interface CommandEntry {
  /** Lowest session privilege allowed; "none" for commands allowed outside a session. */
  privilege: PrivilegeLevel | "none";
  run(data: Buffer, ctx: CommandContext): CommandResult;
}

/** The IPMI commands the simulated iDRAC implements, keyed by netFn and command. */
export class BmcCommandSet {
  private readonly table = new Map<number, CommandEntry>();
  private readonly requests = new Map<number, number>();

  constructor(private readonly svc: BmcServices) {
    const add = (netFn: number, cmd: number, entry: CommandEntry): void => {
      this.table.set((netFn << 8) | cmd, entry);
    };
    add(NetFn.App, 0x01, { privilege: Privilege.User, run: () => ok(deviceIdResponse(svc.identity)) });
    add(NetFn.App, 0x08, { privilege: Privilege.User, run: () => ok(svc.identity.guid) });
    add(NetFn.App, 0x37, { privilege: Privilege.User, run: () => ok(svc.identity.guid) });
    add(NetFn.App, 0x38, { privilege: "none", run: (data) => this.channelAuthCapabilities(data) });
    add(NetFn.App, 0x3b, { privilege: Privilege.Callback, run: (data, ctx) => setSessionPrivilege(data, ctx) });
    add(NetFn.App, 0x3c, { privilege: Privilege.Callback, run: (data, ctx) => closeSession(data, ctx) });
    add(NetFn.App, 0x54, { privilege: "none", run: (data) => this.channelCipherSuites(data) });
    add(NetFn.Storage, 0x20, { privilege: Privilege.User, run: () => svc.sdr.info() });
    add(NetFn.Storage, 0x22, { privilege: Privilege.User, run: () => svc.sdr.reserve() });
    add(NetFn.Storage, 0x23, { privilege: Privilege.User, run: (data) => svc.sdr.get(data) });
    add(NetFn.SensorEvent, 0x25, { privilege: Privilege.User, run: (data) => svc.sensors.hysteresis(data) });
    add(NetFn.SensorEvent, 0x27, { privilege: Privilege.User, run: (data) => svc.sensors.thresholds(data) });
    add(NetFn.SensorEvent, 0x2d, { privilege: Privilege.User, run: (data) => svc.sensors.reading(data) });
    add(NETFN_DELL_OEM, CMD_DELL_FAN_CONTROL, {
      privilege: Privilege.Administrator,
      run: (data, ctx) => handleDellFanControl(data, { fans: svc.fans, fanCount: svc.fanCount, personality: svc.personality(), nowMs: ctx.nowMs }),
    });
  }

  /** Runs one request; unknown commands answer 0xC1, commands above the session's privilege 0xD4. */
  handle(req: IpmiRequest, ctx: CommandContext): CommandResult {
    const key = (req.netFn << 8) | req.cmd;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    const entry = this.table.get(key);
    if (!entry) return fail(CompletionCode.InvalidCommand);
    if (entry.privilege !== "none") {
      if (!ctx.session || ctx.session.privilege < entry.privilege) return fail(CompletionCode.InsufficientPrivilege);
    }
    return entry.run(req.data, ctx);
  }

  /** Requests handled so far for one netFn and command. */
  requestCount(netFn: number, cmd: number): number {
    return this.requests.get((netFn << 8) | cmd) ?? 0;
  }

  /** Get Channel Authentication Capabilities (22.13), with the IPMI v2.0 extended data when asked for. */
  private channelAuthCapabilities(data: Buffer): CommandResult {
    if (data.length < 2) return fail(CompletionCode.RequestDataLengthInvalid);
    const channel = data.readUInt8(0) & 0x0f;
    if (channel !== CURRENT_CHANNEL && channel !== LAN_CHANNEL) return fail(CompletionCode.InvalidDataField);
    const extended = (data.readUInt8(0) & 0x80) !== 0;
    const md5 = this.svc.lan15 ? 0x04 : 0x00;
    return ok([
      LAN_CHANNEL,
      (extended ? 0x80 : 0x00) | md5,
      0x04, // non-null user names exist; per-message and user-level authentication enabled
      extended ? 0x02 | (this.svc.lan15 ? 0x01 : 0x00) : 0x00, // IPMI v2.0 (and v1.5) connections
      0x00,
      0x00,
      0x00,
      0x00,
    ]);
  }

  /** Get Channel Cipher Suites (22.15): 16 bytes of suite records per list index. */
  private channelCipherSuites(data: Buffer): CommandResult {
    if (data.length !== 3) return fail(CompletionCode.RequestDataLengthInvalid);
    const channel = data.readUInt8(0) & 0x0f;
    if (channel !== CURRENT_CHANNEL && channel !== LAN_CHANNEL) return fail(CompletionCode.InvalidDataField);
    if ((data.readUInt8(1) & 0x3f) !== 0x00) return fail(CompletionCode.InvalidDataField); // IPMI payload only
    const index = data.readUInt8(2) & 0x3f;
    const records = cipherSuiteRecords(this.svc.cipherSuiteIds);
    return ok(Buffer.concat([Buffer.from([LAN_CHANNEL]), records.subarray(index * 16, index * 16 + 16)]));
  }
}

/** Set Session Privilege Level (22.18): 0 reads the current level back. */
function setSessionPrivilege(data: Buffer, ctx: CommandContext): CommandResult {
  const session = ctx.session;
  if (!session) return fail(CompletionCode.InsufficientPrivilege);
  if (data.length < 1) return fail(CompletionCode.RequestDataLengthInvalid);
  const requested = data.readUInt8(0) & 0x0f;
  if (requested === 0) return ok([session.privilege]);
  if (!isPrivilegeLevel(requested) || requested === Privilege.Callback) return fail(0x80);
  if (requested > session.maxPrivilege) return fail(CompletionCode.PrivilegeUnavailable);
  session.privilege = requested;
  return ok([requested]);
}

/** Close Session (22.19). */
function closeSession(data: Buffer, ctx: CommandContext): CommandResult {
  if (data.length < 4) return fail(CompletionCode.RequestDataLengthInvalid);
  return ctx.closeSession(data.readUInt32LE(0)) ? ok() : fail(CompletionCode.InvalidSessionId);
}
