import path from "node:path";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import type { CoolingActuator } from "../binding.js";
import type { HwmonChip } from "./discovery.js";
import { pctToDuty } from "./duty.js";
import { settle } from "./settle.js";
import { readSysfsRequired, writeSysfs } from "./sysfs-io.js";
import { writeEach } from "./write-each.js";

/** pwm{n}_enable value for manual duty control (0 is full speed, 2 and up are the chip's automatic modes). */
const PWM_ENABLE_MANUAL = "1";

interface PwmFiles {
  channel: number;
  pwm: string;
  enable?: string;
}

interface FoundState {
  pwm: string;
  enable?: string;
}

/**
 * Fans on a hwmon chip's pwm channels (Super-I/O chips such as nct6798, it87; pumps on aquacomputer).
 * Remembers what it found so restore() can hand control back exactly as it was, automatic mode included.
 */
export class HwmonPwmActuator implements CoolingActuator {
  readonly name: string;
  readonly channels: number;
  private readonly files: PwmFiles[];
  /** State found by takeControl, per channel; a channel leaves the map once restored. */
  private readonly found = new Map<number, FoundState>();

  constructor(chip: HwmonChip, channels: readonly number[]) {
    this.name = `hwmon:${chip.tag}`;
    this.channels = channels.length;
    this.files = channels.map((n) => {
      if (!chip.files.has(`pwm${n}`)) {
        throw new CoolfleetError(ErrorCode.HwmonChipMissing, `${chip.name} at ${chip.devicePath} has no pwm${n}`);
      }
      const files: PwmFiles = { channel: n, pwm: path.join(chip.attrDir, `pwm${n}`) };
      // Some drivers (aquacomputer, a few laptops) have no enable file: their pwm is always manual.
      if (chip.files.has(`pwm${n}_enable`)) files.enable = path.join(chip.attrDir, `pwm${n}_enable`);
      return files;
    });
  }

  takeControl(): Promise<void> {
    return settle(() => {
      for (const f of this.files) {
        // A second takeControl must not record our own manual mode as the state to restore.
        if (!this.found.has(f.channel)) {
          const state: FoundState = { pwm: readSysfsRequired(f.pwm, "duty to restore later") };
          if (f.enable) state.enable = readSysfsRequired(f.enable, "mode to restore later");
          this.found.set(f.channel, state);
        }
        if (f.enable) writeSysfs(f.enable, PWM_ENABLE_MANUAL);
      }
    });
  }

  setPct(pct: number): Promise<void> {
    return settle(() => {
      const duty = String(pctToDuty(pct));
      writeEach(this.files, (f) => writeSysfs(f.pwm, duty));
    });
  }

  restore(): Promise<void> {
    return settle(() => {
      writeEach(this.files, (f) => {
        const state = this.found.get(f.channel);
        if (!state) return;
        // Duty first, while the channel is still manual: some chips ignore or refuse pwm writes in automatic mode.
        writeSysfs(f.pwm, state.pwm);
        if (f.enable && state.enable !== undefined) writeSysfs(f.enable, state.enable);
        this.found.delete(f.channel);
      });
    });
  }
}
