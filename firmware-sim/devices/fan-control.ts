import { join } from "node:path";
import type { ControlTarget, PwmControlSpec, SmcFanControlSpec } from "./hwmon-layout.js";
import { RegisterFile } from "./register-file.js";
import type { SysfsFiles } from "./sysfs-files.js";

/** Who drives a fan or pump: the L0 firmware, the agent's written value, or nobody (full speed). */
export type FanControlMode = "firmware" | "manual" | "full";

/** A writable fan or pump channel as its driver sees it. */
export interface FanControl {
  readonly target: ControlTarget;
  /** Polls the files an agent writes; returns how many writes the driver rejected. */
  readBack(): number;
  mode(): FanControlMode;
  /** The speed the channel commands, 0..100, given what the firmware would command. */
  commandPct(firmwarePct: number): number;
  /** Shows the firmware's command in the files while the firmware drives the channel. */
  showFirmware(firmwarePct: number): void;
}

const PWM_MAX = 255;
// nct6775-family pwmN_enable: 0 full speed, 1 manual, 2..5 the chip's automatic modes.
const PWM_ENABLE_MAX = 5;
// applesmc rejects fan targets at or above 0x4000 RPM.
const SMC_RPM_LIMIT = 0x4000;

export function pctToPwm(pct: number): number {
  return Math.round((Math.min(100, Math.max(0, pct)) / 100) * PWM_MAX);
}

/** pwmN + pwmN_enable (Super-I/O fans, the D5 Next pump). */
export class PwmFanControl implements FanControl {
  readonly target: ControlTarget;
  private readonly pwm: RegisterFile;
  private readonly enable: RegisterFile;

  constructor(dir: string, spec: PwmControlSpec, files: SysfsFiles, initialPct: number) {
    this.target = spec.target;
    this.pwm = new RegisterFile(join(dir, `pwm${spec.channel}`), pctToPwm(initialPct), (v) => v <= PWM_MAX, files);
    this.enable = new RegisterFile(join(dir, `pwm${spec.channel}_enable`), 2, (v) => v <= PWM_ENABLE_MAX, files);
  }

  readBack(): number {
    return countRejected(this.enable.poll(), this.pwm.poll());
  }

  mode(): FanControlMode {
    const enable = this.enable.value;
    return enable === 1 ? "manual" : enable === 0 ? "full" : "firmware";
  }

  commandPct(firmwarePct: number): number {
    const mode = this.mode();
    if (mode === "manual") return (this.pwm.value / PWM_MAX) * 100;
    return mode === "full" ? 100 : firmwarePct;
  }

  showFirmware(firmwarePct: number): void {
    const mode = this.mode();
    if (mode === "firmware") this.pwm.set(pctToPwm(firmwarePct));
    else if (mode === "full") this.pwm.set(PWM_MAX);
  }
}

/** The applesmc interface: fanN_manual selects, fanN_output holds the target RPM (the SMC clamps it to min..max). */
export class SmcFanControl implements FanControl {
  readonly target: ControlTarget;
  private readonly output: RegisterFile;
  private readonly manual: RegisterFile;

  constructor(dir: string, private readonly spec: SmcFanControlSpec, files: SysfsFiles, initialPct: number) {
    this.target = { kind: "fan", index: spec.fanIndex };
    this.output = new RegisterFile(join(dir, `fan${spec.channel}_output`), this.pctToRpm(initialPct), (v) => v < SMC_RPM_LIMIT, files);
    // The driver takes any unsigned integer: non-zero sets the fan's bit in FS! (manual).
    this.manual = new RegisterFile(join(dir, `fan${spec.channel}_manual`), 0, () => true, files);
  }

  readBack(): number {
    return countRejected(this.manual.poll(), this.output.poll());
  }

  mode(): FanControlMode {
    return this.manual.value !== 0 ? "manual" : "firmware";
  }

  commandPct(firmwarePct: number): number {
    if (this.mode() !== "manual") return firmwarePct;
    const rpm = Math.min(this.spec.maxRpm, Math.max(this.spec.minRpm, this.output.value));
    return (rpm / this.spec.maxRpm) * 100;
  }

  showFirmware(firmwarePct: number): void {
    if (this.mode() === "firmware") this.output.set(this.pctToRpm(firmwarePct));
  }

  private pctToRpm(pct: number): number {
    return Math.round((Math.min(100, Math.max(0, pct)) / 100) * this.spec.maxRpm);
  }
}

function countRejected(...results: string[]): number {
  return results.filter((r) => r === "rejected").length;
}
