import { join } from "node:path";
import type { Logger } from "pino";
import { CoolfleetError, ErrorCode } from "../../src/core/errors.js";
import type { SimInputs, SimSnapshot } from "../physics/types.js";
import { createRng } from "../rng.js";
import type { DeviceProfile, DeviceRng, PhysicsHost, WorkloadInputs, WorkloadSource } from "./device-contracts.js";
import type { FanControl, FanControlMode } from "./fan-control.js";
import { StepwiseFanCurve } from "./firmware-fan-curve.js";
import { prepareHostRoot, SIM_TMP_DIR } from "./host-root.js";
import { HwmonTree, type HwmonChipInfo } from "./hwmon-tree.js";
import { ProcfsWriter } from "./procfs.js";
import type { SensorChannel } from "./sensor-channel.js";
import type { SensorFault } from "./sensor-fault.js";
import { selectSensors } from "./sensor-selector.js";
import { SysfsFiles } from "./sysfs-files.js";

export interface SimulatedHostDeviceOptions {
  physics: PhysicsHost;
  profile: DeviceProfile;
  workload: WorkloadSource;
  /** The host's root directory: sys/ and proc/ are created under it (cleared if a previous run left them). */
  root: string;
  /** Seeds sensor noise and hwmon numbering. */
  seed: number;
  /** Overrides the generator made from seed (tests). */
  rng?: DeviceRng;
  /** btime in /proc/stat, seconds since the epoch. */
  bootTimeS?: number;
  /** How far the firmware's stepwise curve lets the temperature fall before it steps down. */
  firmwareHysteresisC?: number;
  /** Pump speed the pump controller holds in its automatic mode (default: the profile's liquid.firmwarePumpPct). */
  pumpAutoPct?: number;
  /** Repeat the workload when its duration runs out (default), so a fleet can run indefinitely. */
  loopWorkload?: boolean;
  logger?: Logger;
}

/** Who drives one fan or pump right now, and the speed it is commanded to. */
export interface ControlStatus {
  mode: FanControlMode;
  cmdPct: number;
}

const DEFAULT_PUMP_AUTO_PCT = 60;

/**
 * One simulated Linux host as an agent sees it: the physics, its workload, and the sysfs/procfs tree.
 * step() does what the hardware does in one tick: the drivers pick up what the agent wrote, the firmware or the
 * written values command the fans, the physics advances, and the sensors report into the files.
 */
export class SimulatedHostDevice {
  readonly hostId: string;
  readonly profile: DeviceProfile;
  readonly workload: WorkloadSource;
  /** `<root>`: point an agent's sysfs/procfs root here. */
  readonly root: string;
  readonly physics: PhysicsHost;
  private readonly tree: HwmonTree;
  /** Indexed by fan. */
  private readonly fanControls: (FanControl | undefined)[];
  private readonly pump: FanControl | undefined;
  private readonly procfs: ProcfsWriter;
  private readonly fanCurve: StepwiseFanCurve;
  private readonly pumpAutoPct: number;
  private readonly loopWorkload: boolean;
  private readonly logger: Logger | undefined;
  private current: SimSnapshot;
  private commands: { fans: number[]; pump: number | undefined };
  private timeS = 0;
  private rejected = 0;

  constructor(opts: SimulatedHostDeviceOptions) {
    this.physics = opts.physics;
    this.hostId = opts.physics.hostId;
    this.profile = opts.profile;
    this.workload = opts.workload;
    this.root = opts.root;
    this.logger = opts.logger;
    this.loopWorkload = opts.loopWorkload ?? true;
    this.pumpAutoPct = opts.pumpAutoPct ?? opts.profile.liquid?.firmwarePumpPct ?? DEFAULT_PUMP_AUTO_PCT;
    this.fanCurve = new StepwiseFanCurve(opts.profile.firmwareFanCurve, opts.firmwareHysteresisC);
    this.current = opts.physics.snapshot();
    const initialFanPct = this.fanCurve.update(hottestDieC(this.current));
    this.commands = { fans: new Array<number>(opts.profile.fans.count).fill(initialFanPct), pump: undefined };

    prepareHostRoot(opts.root);
    const files = new SysfsFiles(join(opts.root, SIM_TMP_DIR));
    const rng = opts.rng ?? createRng(opts.seed).fork("devices");
    this.tree = new HwmonTree({ hostRoot: opts.root, profile: opts.profile, rng, files, initial: this.current, initialFanPct, initialPumpPct: this.pumpAutoPct });
    this.fanControls = this.commands.fans.map((_, i) => this.tree.controls.find((c) => c.target.kind === "fan" && c.target.index === i));
    this.pump = this.tree.controls.find((c) => c.target.kind === "pump");
    if (this.pump) this.commands.pump = this.pumpAutoPct;
    this.procfs = new ProcfsWriter({
      hostRoot: opts.root,
      cpuCount: opts.profile.cpuCount,
      drives: opts.profile.drives.map((d) => d.name),
      files,
      bootTimeS: opts.bootTimeS ?? 0,
    });
  }

  /** One hardware tick of dtS simulated seconds. */
  step(dtS: number): void {
    if (!(dtS > 0 && Number.isFinite(dtS))) throw new RangeError(`host ${this.hostId}: step needs a positive time, not ${dtS} s`);
    const rejected = this.tree.readBack();
    if (rejected > 0) {
      this.rejected += rejected;
      this.logger?.debug({ hostId: this.hostId, rejected }, "sim: driver rejected invalid writes");
    }
    const firmwareFanPct = this.fanCurve.update(hottestDieC(this.current));
    const inputs = this.inputsAt(this.timeS, firmwareFanPct);
    this.physics.step(dtS, inputs);
    this.timeS += dtS;
    this.current = this.physics.snapshot();
    for (const control of this.tree.controls) control.showFirmware(control.target.kind === "pump" ? this.pumpAutoPct : firmwareFanPct);
    this.tree.publish(this.current, dtS);
    this.procfs.update(dtS, inputs.cpuUtil, inputs.diskMBps);
  }

  /** The true physical state after the last step (what the sensors only approximate). */
  snapshot(): SimSnapshot {
    return this.current;
  }

  /** Simulated seconds stepped so far. */
  get elapsedS(): number {
    return this.timeS;
  }

  /** Per fan: firmware, manual or full speed, and the speed commanded in the last step. */
  fanControl(): ControlStatus[] {
    return this.commands.fans.map((cmdPct, index) => ({ mode: this.fanControls[index]?.mode() ?? "firmware", cmdPct }));
  }

  /** The pump's control on liquid-cooled hosts. */
  pumpControl(): ControlStatus | undefined {
    if (!this.pump || this.commands.pump === undefined) return undefined;
    return { mode: this.pump.mode(), cmdPct: this.commands.pump };
  }

  /** Writes to pwm / enable / fan output files the drivers rejected as invalid. */
  get rejectedWrites(): number {
    return this.rejected;
  }

  /** Where every hwmon chip landed (hwmonN, paths). */
  chips(): readonly HwmonChipInfo[] {
    return this.tree.chips;
  }

  /** Every sensor id ("coretemp.0:temp1", "nct6798:fan2" …). */
  sensorIds(): string[] {
    return this.tree.sensors.map((s) => s.id);
  }

  /**
   * Switches a fault on for every sensor the selector matches (id, "<chip>:<label>", "*" globs); it shows from
   * the next step. Returns the ids it applied to.
   */
  injectSensorFault(selector: string, fault: SensorFault): string[] {
    const channels = this.select(selector);
    for (const channel of channels) channel.setFault(fault);
    this.logger?.info({ hostId: this.hostId, sensors: channels.map((c) => c.id), fault }, "sim: sensor fault on");
    return channels.map((c) => c.id);
  }

  clearSensorFault(selector: string): string[] {
    const channels = this.select(selector);
    for (const channel of channels) channel.clearFault();
    return channels.map((c) => c.id);
  }

  /** A dead fan stops (its RPM reads 0) whatever it is commanded. */
  setFanDead(index: number, dead: boolean): void {
    this.physics.setFanDead(this.fanIndexOf(index), dead);
  }

  /**
   * Fails one fan, by index (0-based) or by its tachometer's selector ("nct6798:fan3", "applesmc:Blower"): with no
   * rpmFraction its rotor is seized (0 RPM, no airflow); with rpmFraction f (0..1) it reaches only f of its
   * commanded speed, and its RPM and airflow follow. Shows from the next step. Returns the fan's index.
   */
  failFan(fan: number | string, opts: { rpmFraction?: number } = {}): number {
    const index = this.fanIndexOf(fan);
    const fraction = opts.rpmFraction ?? 0;
    if (!(fraction >= 0 && fraction < 1)) throw new CoolfleetError(ErrorCode.UsageInvalid, `failFan: rpmFraction must be in [0, 1), got ${fraction}`);
    if (fraction === 0) this.physics.setFanDead(index, true);
    else if (this.physics.setFanHealth) this.physics.setFanHealth(index, fraction);
    else throw new CoolfleetError(ErrorCode.UsageInvalid, `host ${this.hostId}: this physics can only seize a fan (rpmFraction 0)`);
    this.logger?.info({ hostId: this.hostId, fan: index, rpmFraction: fraction }, "sim: fan failed");
    return index;
  }

  /** Undoes failFan (and setFanDead): the fan follows its command again. Returns the fan's index. */
  restoreFan(fan: number | string): number {
    const index = this.fanIndexOf(fan);
    if (this.physics.setFanHealth) this.physics.setFanHealth(index, 1);
    else this.physics.setFanDead(index, false);
    return index;
  }

  /** A fan index from an index or from the selector of its tachometer (nct6798:fanN, applesmc:fanN or its label). */
  private fanIndexOf(fan: number | string): number {
    const count = this.profile.fans.count;
    if (typeof fan === "number") {
      if (!Number.isInteger(fan) || fan < 0 || fan >= count) {
        throw new CoolfleetError(ErrorCode.UsageInvalid, `host ${this.hostId} has fans 0..${count - 1}, not ${fan}`);
      }
      return fan;
    }
    const tachs = this.select(fan).flatMap((channel) => {
      const index = this.tree.fanTachs.get(channel.id);
      return index === undefined ? [] : [index];
    });
    const index = tachs[0];
    if (tachs.length !== 1 || index === undefined || index >= count) {
      throw new CoolfleetError(ErrorCode.UsageInvalid, `"${fan}" on host ${this.hostId} must select exactly one fan tachometer (e.g. "nct6798:fan3"); it selects ${tachs.length}`);
    }
    return index;
  }

  private inputsAt(tS: number, firmwareFanPct: number): SimInputs {
    const load = this.workloadAt(tS);
    const fans = this.fanControls.map((control) => control?.commandPct(firmwareFanPct) ?? firmwareFanPct);
    const pump = this.pump?.commandPct(this.pumpAutoPct);
    this.commands = { fans, pump };
    return { cpuUtil: load.cpuUtil, diskMBps: load.diskMBps, inletC: load.inletC, fanCmdPct: fans, ...(pump !== undefined ? { pumpCmdPct: pump } : {}) };
  }

  private workloadAt(tS: number): WorkloadInputs {
    const duration = this.workload.durationS;
    const looped = this.loopWorkload && Number.isFinite(duration) && duration > 0 ? tS % duration : tS;
    return this.workload.at(looped);
  }

  private select(selector: string): SensorChannel[] {
    const channels = selectSensors(this.tree.sensors, selector);
    if (channels.length === 0) {
      throw new CoolfleetError(ErrorCode.UsageInvalid, `no sensor on host ${this.hostId} matches "${selector}"; known: ${this.sensorIds().join(", ")}`);
    }
    return channels;
  }
}

function hottestDieC(snap: SimSnapshot): number {
  let hottest = -Infinity;
  for (const socket of snap.sockets) hottest = Math.max(hottest, socket.dieC);
  return Number.isFinite(hottest) ? hottest : 0;
}
