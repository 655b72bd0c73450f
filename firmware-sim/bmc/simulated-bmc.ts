import { randomBytes as cryptoRandomBytes } from "node:crypto";
import type { Logger } from "pino";
import type { Clock } from "../../src/core/clock.js";
import type { DeviceProfile, PhysicsHost, WorkloadInputs } from "../devices/device-contracts.js";
import type { SimSnapshot } from "../physics/types.js";
import { BmcCommandSet } from "./bmc-commands.js";
import { buildSensorTable, type BmcSensorFault, type SensorNaming } from "./bmc-sensors.js";
import { BmcUdpServer, type DatagramCounters } from "./bmc-udp-server.js";
import { DEFAULT_CIPHER_SUITE_IDS, SUPPORTED_CIPHER_SUITES } from "./cipher-suites.js";
import { deviceIdentity, type DeviceIdentity } from "./device-identity.js";
import { FanModeLease, type BmcFanMode, type FanModeChange } from "./fan-mode.js";
import { Lan15Transport } from "./lan15-transport.js";
import type { BmcPersonality } from "./personality.js";
import { Privilege } from "./privilege.js";
import { RmcpPlusSessionTable } from "./rmcp-plus-session.js";
import { RmcpPlusTransport } from "./rmcp-plus-transport.js";
import { encodeFullSensorRecord } from "./sdr-records.js";
import { SdrRepository } from "./sdr-repository.js";
import { SensorBank } from "./sensor-bank.js";

/** The physics behind the BMC and the host shape it reports (SimHost satisfies this). */
export interface BmcHost extends PhysicsHost {
  readonly profile: DeviceProfile;
}

export interface SimulatedBmcOptions {
  host: BmcHost;
  /** Drives the manual-mode lease and session idle expiry; tests pass a ManualClock. */
  clock: Clock;
  personality?: BmcPersonality;
  /** iDRAC's factory account is root / calvin. */
  username?: string;
  password?: string;
  /** Manual fan mode lapses to automatic after this long without a fan command (default 30 s). */
  leaseS?: number;
  /** Cipher suites offered (default 3 and 17, as iDRAC ships); any of 1, 2, 3, 15, 16, 17. */
  cipherSuites?: readonly number[];
  /** Offer IPMI v1.5 sessions (MD5) for `ipmitool -I lan` (default true). */
  lan15?: boolean;
  sensorNaming?: SensorNaming;
  /** Largest Get SDR read; lower it to force ipmitool into partial reads. */
  maxSdrReadBytes?: number;
  /** Address to bind (default 127.0.0.1) and port (default 0: any free port). */
  address?: string;
  port?: number;
  /**
   * Echo a wrong console session id in Open Session responses (RMCP+), a quirk some BMCs have: the real ipmitool
   * warns on stderr at the start of every session and works on.
   */
  misreportConsoleId?: boolean;
  /** Session nonces and ids; inject for reproducible packet-level tests. */
  randomBytes?: (n: number) => Buffer;
  logger?: Logger;
}

const DEFAULT_LEASE_S = 30;
const SESSION_IDLE_TIMEOUT_MS = 60_000;
const MAX_SESSIONS = 32;

/** One sensor as ipmitool will show it: quantised value, or null for ns / No Reading / Disabled. */
export interface BmcSensorView {
  number: number;
  name: string;
  entity: string;
  kind: "temperature" | "fan";
  value: number | null;
  fault: BmcSensorFault | undefined;
}

/**
 * A Dell iDRAC stand-in on UDP: IPMI v2.0 RMCP+ (cipher suites 3 and 17 by default) and v1.5 LAN sessions,
 * the SDR repository and sensor readings backed by the thermal physics, and the Dell OEM fan commands with a
 * manual-mode lease. The real `ipmitool -I lanplus -H 127.0.0.1 -p <port>` talks to it.
 */
export class SimulatedBmc {
  readonly identity: DeviceIdentity;
  private readonly host: BmcHost;
  private readonly clock: Clock;
  private readonly fans: FanModeLease;
  private readonly sensors: SensorBank;
  private readonly sessions: RmcpPlusSessionTable;
  private readonly server: BmcUdpServer;
  private readonly lan15: Lan15Transport | undefined;
  private readonly commands: BmcCommandSet;
  private readonly sdr: SdrRepository;
  private readonly address: string;
  private readonly requestedPort: number;
  private personalityNow: BmcPersonality;
  private lastCommandPct: number[];
  private boundPort: number | undefined;

  constructor(opts: SimulatedBmcOptions) {
    this.host = opts.host;
    this.clock = opts.clock;
    this.address = opts.address ?? "127.0.0.1";
    this.requestedPort = opts.port ?? 0;
    this.personalityNow = opts.personality ?? "manual-ok";
    const profile = opts.host.profile;
    const randomBytes = opts.randomBytes ?? cryptoRandomBytes;
    const suites = opts.cipherSuites ?? DEFAULT_CIPHER_SUITE_IDS;
    const unknown = suites.filter((id) => !SUPPORTED_CIPHER_SUITES.some((s) => s.id === id));
    if (unknown.length > 0) throw new RangeError(`simulated BMC: cipher suite(s) ${unknown.join(", ")} not implemented; use 1, 2, 3, 15, 16, 17`);
    const leaseS = opts.leaseS ?? DEFAULT_LEASE_S;
    if (!(leaseS > 0)) throw new RangeError(`simulated BMC: leaseS must be positive, not ${leaseS}`);

    this.identity = deviceIdentity(opts.host.hostId, this.personalityNow);
    const table = buildSensorTable({ sockets: profile.sockets, fans: profile.fans.count, tjMaxC: profile.tjMaxC }, opts.sensorNaming);
    this.sensors = new SensorBank(table, opts.host.snapshot());
    this.fans = new FanModeLease({ fanCount: profile.fans.count, leaseMs: leaseS * 1000, firmwareFanCurve: profile.firmwareFanCurve });
    this.lastCommandPct = this.fans.commandPct(this.sensors.hottestCpuC(), this.clock.nowMs());
    const sdr = (this.sdr = new SdrRepository(
      table.map((sensor, i) => encodeFullSensorRecord(i + 1, sensor)),
      opts.maxSdrReadBytes,
    ));
    this.sessions = new RmcpPlusSessionTable(MAX_SESSIONS, SESSION_IDLE_TIMEOUT_MS);
    const lan15Enabled = opts.lan15 ?? true;
    const commands = (this.commands = new BmcCommandSet({
      identity: this.identity,
      sdr,
      sensors: this.sensors,
      fans: this.fans,
      fanCount: profile.fans.count,
      personality: () => this.personalityNow,
      cipherSuiteIds: suites,
      lan15: lan15Enabled,
    }));
    const username = opts.username ?? "root";
    const password = opts.password ?? "calvin";
    const nowMs = (): number => this.clock.nowMs();
    const rmcpPlus = new RmcpPlusTransport({
      sessions: this.sessions,
      commands,
      handshake: { username, password, userMaxPrivilege: Privilege.Administrator, cipherSuiteIds: suites, bmcGuid: this.identity.guid, randomBytes, misreportConsoleId: opts.misreportConsoleId ?? false },
      nowMs,
      randomBytes,
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
    this.lan15 = lan15Enabled
      ? new Lan15Transport({ commands, username, password, userMaxPrivilege: Privilege.Administrator, nowMs, randomBytes, maxSessions: MAX_SESSIONS, idleTimeoutMs: SESSION_IDLE_TIMEOUT_MS, ...(opts.logger ? { logger: opts.logger } : {}) })
      : undefined;
    const lan15 = this.lan15;
    this.server = new BmcUdpServer({
      rmcpPlus: (d) => rmcpPlus.handle(d),
      ...(lan15 ? { lan15: (d: Buffer) => lan15.handle(d) } : {}),
      ...(opts.logger ? { logger: opts.logger } : {}),
    });
  }

  /** Starts answering on UDP; resolves with the bound port (pass it to ipmitool -p). */
  async start(): Promise<{ address: string; port: number }> {
    this.boundPort = await this.server.listen(this.address, this.requestedPort);
    return { address: this.address, port: this.boundPort };
  }

  async stop(): Promise<void> {
    await this.server.close();
    this.boundPort = undefined;
  }

  /**
   * One command through the host-side interface (KCS, what `ipmitool -I open` uses on a real server):
   * no session, Administrator privilege. Returns the completion code and response data.
   */
  inBandCommand(netFn: number, cmd: number, data: readonly number[] = []): { cc: number; data: Buffer } {
    const req = { rsAddr: 0x20, netFn, rsLun: 0, rqAddr: 0x81, rqSeq: 0, rqLun: 0, cmd, data: Buffer.from(data) };
    const session = { maxPrivilege: Privilege.Administrator, privilege: Privilege.Administrator } as const;
    const result = this.commands.handle(req, { session: { ...session }, nowMs: this.clock.nowMs(), closeSession: () => false });
    return { cc: result.cc, data: result.data ?? Buffer.alloc(0) };
  }

  /** Answers one datagram in-process, exactly as the UDP port would (packet-level tests). */
  handleDatagram(datagram: Buffer): Buffer | undefined {
    return this.server.answer(datagram);
  }

  get port(): number | undefined {
    return this.boundPort;
  }

  /**
   * One hardware tick of dtS simulated seconds: the firmware curve or the manual setting commands the fans,
   * the physics advances, and the sensors read the new state. Simulated time and the BMC's clock are separate:
   * the lease follows the clock, the physics follows dtS.
   */
  step(dtS: number, load: WorkloadInputs): SimSnapshot {
    this.lastCommandPct = this.fans.commandPct(this.sensors.hottestCpuC(), this.clock.nowMs());
    this.host.step(dtS, { cpuUtil: load.cpuUtil, diskMBps: load.diskMBps, inletC: load.inletC, fanCmdPct: this.lastCommandPct });
    const snap = this.host.snapshot();
    this.sensors.update(snap);
    return snap;
  }

  snapshot(): SimSnapshot {
    return this.host.snapshot();
  }

  /** "manual" while an agent holds the lease, "auto" when the firmware curve drives the fans. */
  mode(): BmcFanMode {
    return this.fans.mode(this.clock.nowMs());
  }

  /** The last mode change and why (manual-on, auto-requested, lease-lapsed). */
  lastModeChange(): FanModeChange | undefined {
    this.fans.mode(this.clock.nowMs());
    return this.fans.change();
  }

  /** Per fan, the % the fans are commanded to now (manual setting or firmware curve). */
  fanCommandPct(): number[] {
    return this.fans.currentPct(this.clock.nowMs());
  }

  /** Per fan, the command the last step() applied to the physics. */
  appliedFanPct(): number[] {
    return [...this.lastCommandPct];
  }

  get personality(): BmcPersonality {
    return this.personalityNow;
  }

  /** Switches firmware behaviour at run time, as a firmware update would. */
  setPersonality(personality: BmcPersonality): void {
    this.personalityNow = personality;
  }

  /** Sets or (with undefined) clears a fault on the sensors a selector names ("Inlet Temp", "Temp@3.2"). */
  setSensorFault(selector: string, fault: BmcSensorFault | undefined): string[] {
    const matched = this.sensors.setFault(selector, fault);
    if (matched.length === 0) {
      const known = this.sensors.sensors.map((s) => `${s.name}@${s.entityId}.${s.entityInstance}`).join(", ");
      throw new RangeError(`simulated BMC: no sensor matches "${selector}"; known: ${known}`);
    }
    return matched;
  }

  /** An empty CPU socket: its "Temp" sensor reads ns / Disabled and the firmware curve ignores it. */
  setSocketEmpty(socketIndex: number, empty: boolean): void {
    this.setSensorFault(`Temp@3.${socketIndex + 1}`, empty ? "disabled" : undefined);
  }

  /** A dead fan stops (its RPM sensor reads 0, below its thresholds) whatever it is commanded. */
  setFanDead(fanIndex: number, dead: boolean): void {
    if (!Number.isInteger(fanIndex) || fanIndex < 0 || fanIndex >= this.host.profile.fans.count) {
      throw new RangeError(`simulated BMC: fans are 0..${this.host.profile.fans.count - 1}, not ${fanIndex}`);
    }
    this.host.setFanDead(fanIndex, dead);
  }

  /**
   * Fails one fan (0-based) of the host behind the BMC: seized (0 RPM) without rpmFraction, else it reaches only
   * that fraction of its commanded speed. The fan sensors read the physics, so "Fan<n> RPM" shows it.
   */
  failFan(fanIndex: number, opts: { rpmFraction?: number } = {}): void {
    const fraction = opts.rpmFraction ?? 0;
    if (!(fraction >= 0 && fraction < 1)) throw new RangeError(`simulated BMC: rpmFraction must be in [0, 1), got ${fraction}`);
    if (fraction === 0) return this.setFanDead(fanIndex, true);
    this.setFanDead(fanIndex, false);
    if (!this.host.setFanHealth) throw new RangeError("simulated BMC: this host's physics can only seize a fan (rpmFraction 0)");
    this.host.setFanHealth(fanIndex, fraction);
  }

  /** Undoes failFan: the fan follows its command again. */
  restoreFan(fanIndex: number): void {
    this.setFanDead(fanIndex, false);
    this.host.setFanHealth?.(fanIndex, 1);
  }

  /**
   * Gives a sensor a new name in the SDR, as a firmware update does (Dell renamed sensors between iDRAC releases):
   * the record is rewritten and the repository's most recent addition timestamp moves.
   */
  renameSensor(sensorNumber: number, name: string): void {
    const index = this.sensors.sensors.findIndex((s) => s.number === sensorNumber);
    const sensor = this.sensors.sensors[index];
    if (!sensor) throw new RangeError(`simulated BMC: no sensor number 0x${sensorNumber.toString(16)}`);
    sensor.name = name;
    this.sdr.replace(index + 1, encodeFullSensorRecord(index + 1, sensor), this.clock.nowMs() / 1000);
  }

  /** Requests the BMC has answered (any completion code) for one netFn and command, in sessions and in-band. */
  requestCount(netFn: number, cmd: number): number {
    return this.commands.requestCount(netFn, cmd);
  }

  /** Every sensor as ipmitool will print it right now. */
  sensorViews(): BmcSensorView[] {
    return this.sensors.sensors.map((s) => ({
      number: s.number,
      name: s.name,
      entity: `${s.entityId}.${s.entityInstance}`,
      kind: s.sensorType === 0x04 ? "fan" : "temperature",
      value: this.sensors.displayedValue(s),
      fault: this.sensors.faultOf(s),
    }));
  }

  /**
   * Active RMCP+ and v1.5 sessions. ipmitool closes its own; a killed run leaves its session, and a failed
   * handshake a half-open one (not counted here), until 60 s of idle time on the BMC's clock.
   */
  sessionCount(): number {
    return this.sessions.active().length + (this.lan15?.sessionCount() ?? 0);
  }

  datagrams(): DatagramCounters {
    return { ...this.server.counters };
  }
}
