import type { FanLimits, ForceScheme } from "../../src/hardware/smc/protocol.js";
import type { DeviceProfile, PhysicsHost, WorkloadInputs } from "../devices/device-contracts.js";
import { StepwiseFanCurve } from "../devices/firmware-fan-curve.js";
import type { SimSnapshot } from "../physics/types.js";

export interface SimulatedSmcOptions {
  /** An air-cooled Mac host, e.g. SimHost with profile "macpro-2019". */
  physics: PhysicsHost;
  profile: DeviceProfile;
  /** "t2" (Mac Pro 2019: F{n}Md + float F{n}Tg) or "fs-bitmask" (older Intel: "FS! " + F{n}Tg). Default "t2". */
  scheme?: ForceScheme;
  /** hw.model reported by hello. Default "MacPro7,1". */
  model?: string;
  /** Load and inlet at simulated time tS. Default: 30 % load at 25 °C. */
  inputs?: (tS: number) => WorkloadInputs;
}

/** Thrown for a key the SMC does not have or will not write; the helper turns it into smc_error. */
export class SmcKeyError extends Error {}

const FORCE_MASK_KEY = "FS! ";
const DEFAULT_INPUTS: WorkloadInputs = { cpuUtil: 0.3, diskMBps: 0, inletC: 25 };
/** Core keys are TC1C…TC8C: four characters leave room for one digit. */
const MAX_CORE_KEYS = 8;

/**
 * The SMC of a simulated Mac as a key store: fan keys (FNum, F{n}Ac/Mn/Mx/Sf/Tg/Md or "FS! ") and temperature keys
 * (TC0P proximity, TC0D/TCXC die, TC1C… cores, TA0P ambient, TH0P drive) over the physics. In automatic mode the
 * SMC's own stepwise curve drives the fans; forced fans run at their target RPM.
 */
export class SimulatedSmc {
  readonly scheme: ForceScheme;
  readonly model: string;
  readonly fanCount: number;
  private readonly physics: PhysicsHost;
  private readonly profile: DeviceProfile;
  private readonly inputs: (tS: number) => WorkloadInputs;
  private readonly curve: StepwiseFanCurve;
  private readonly forcedTargetRpm: number[];
  private readonly modeFlags: boolean[];
  private forceMask = 0;
  private autoPct: number;
  private current: SimSnapshot;
  private timeS = 0;
  private readonly invalid = new Set<string>();

  constructor(opts: SimulatedSmcOptions) {
    this.physics = opts.physics;
    this.profile = opts.profile;
    this.scheme = opts.scheme ?? "t2";
    this.model = opts.model ?? "MacPro7,1";
    this.fanCount = opts.profile.fans.count;
    this.inputs = opts.inputs ?? (() => DEFAULT_INPUTS);
    this.curve = new StepwiseFanCurve(opts.profile.firmwareFanCurve);
    this.current = opts.physics.snapshot();
    this.autoPct = this.curve.update(this.hottestDieC());
    this.forcedTargetRpm = Array.from({ length: this.fanCount }, (_, i) => this.maxRpm(i));
    this.modeFlags = Array.from({ length: this.fanCount }, () => false);
  }

  /** Advances the Mac by dtS: the SMC picks fan commands (forced or its curve), the physics follows. */
  step(dtS: number): void {
    this.autoPct = this.curve.update(this.hottestDieC());
    const fanCmdPct = Array.from({ length: this.fanCount }, (_, i) => (this.forced(i) ? (100 * (this.forcedTargetRpm[i] ?? 0)) / this.maxRpm(i) : this.autoPct));
    this.physics.step(dtS, { ...this.inputs(this.timeS), fanCmdPct });
    this.timeS += dtS;
    this.current = this.physics.snapshot();
  }

  snapshot(): SimSnapshot {
    return this.current;
  }

  fanLimits(): FanLimits[] {
    return Array.from({ length: this.fanCount }, (_, index) => ({ index, minRpm: this.minRpm(index), maxRpm: this.maxRpm(index) }));
  }

  tempKeys(): string[] {
    const cores = Math.min(MAX_CORE_KEYS, this.current.sockets[0]?.coreC.length ?? 0);
    return ["TC0P", "TC0D", "TCXC", ...Array.from({ length: cores }, (_, i) => `TC${i + 1}C`), "TA0P", ...(this.current.drives.length > 0 ? ["TH0P"] : [])];
  }

  /** Whether fan index runs at its forced target (F{n}Md=1, or its bit in "FS! "). */
  forced(index: number): boolean {
    return this.scheme === "t2" ? (this.modeFlags[index] ?? false) : (this.forceMask & (1 << index)) !== 0;
  }

  /** Makes a temperature key read 129 °C, the SMC's invalid marker (a failed sensor). */
  setInvalidTemp(key: string, invalid: boolean): void {
    if (invalid) this.invalid.add(key);
    else this.invalid.delete(key);
  }

  readKey(key: string): number | undefined {
    if (this.invalid.has(key)) return 129;
    if (key === "FNum") return this.fanCount;
    if (key === FORCE_MASK_KEY) return this.scheme === "fs-bitmask" ? this.forceMask : undefined;
    const fan = /^F(\d)(Ac|Mn|Mx|Sf|Tg|Md)$/.exec(key);
    if (fan) return this.readFanKey(Number(fan[1]), fan[2] ?? "");
    const tempC = this.readTemperature(key);
    // Reported at the sensor's resolution (the profile's quantC), as the SMC's fixed-point keys are.
    const stepC = this.profile.sensors.quantC ?? 1;
    return tempC === undefined ? undefined : Number((Math.round(tempC / stepC) * stepC).toFixed(6));
  }

  writeKey(key: string, value: number): void {
    if (!Number.isFinite(value)) throw new SmcKeyError(`${key}: ${value} is not a number`);
    if (key === FORCE_MASK_KEY && this.scheme === "fs-bitmask") {
      this.forceMask = value & ((1 << this.fanCount) - 1);
      return;
    }
    const fan = /^F(\d)(Tg|Md)$/.exec(key);
    const index = Number(fan?.[1]);
    if (!fan || index >= this.fanCount || (fan[2] === "Md" && this.scheme !== "t2")) throw new SmcKeyError(`${key}: no such writable key`);
    if (fan[2] === "Md") this.modeFlags[index] = value !== 0;
    else this.forcedTargetRpm[index] = Math.min(this.maxRpm(index), Math.max(0, value));
  }

  private readFanKey(index: number, suffix: string): number | undefined {
    if (index >= this.fanCount) return undefined;
    switch (suffix) {
      case "Ac":
        return this.current.fans[index]?.rpm ?? 0;
      case "Mn":
        return this.minRpm(index);
      case "Mx":
      case "Sf":
        return this.maxRpm(index);
      case "Tg":
        return this.forced(index) ? (this.forcedTargetRpm[index] ?? 0) : (this.autoPct / 100) * this.maxRpm(index);
      case "Md":
        return this.scheme === "t2" ? (this.modeFlags[index] ? 1 : 0) : undefined;
      default:
        return undefined;
    }
  }

  private readTemperature(key: string): number | undefined {
    const socket = this.current.sockets[0];
    const core = /^TC([1-9])C$/.exec(key);
    if (core) return socket?.coreC[Number(core[1]) - 1];
    switch (key) {
      case "TC0P":
        return socket?.sinkC;
      case "TC0D":
      case "TCXC":
        return socket?.dieC;
      case "TA0P":
        return this.current.inletC;
      case "TH0P":
        return this.current.drives[0]?.tempC;
      default:
        return undefined;
    }
  }

  private maxRpm(index: number): number {
    return this.profile.fans.maxRpmByFan?.[index] ?? this.profile.fans.maxRpm;
  }

  /** The SMC's floor: the physics will not run a fan below minPct either. */
  private minRpm(index: number): number {
    return (this.profile.fans.minPct / 100) * this.maxRpm(index);
  }

  private hottestDieC(): number {
    return Math.max(...this.current.sockets.map((s) => s.dieC));
  }
}
