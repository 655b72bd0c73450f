import path from "node:path";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import type { CoolingActuator } from "../binding.js";
import type { HwmonChip } from "./discovery.js";
import { clampPct } from "./duty.js";
import { settle } from "./settle.js";
import { readSysfsRequired, writeSysfs } from "./sysfs-io.js";
import { writeEach } from "./write-each.js";

/** fan{n}_manual: 1 = the host sets fan{n}_output, 0 = the SMC's own curve. */
const FAN_MANUAL = "1";

interface SmcFanFiles {
  channel: number;
  manual: string;
  output: string;
  min: string;
  max: string;
}

interface RpmRange {
  minRpm: number;
  maxRpm: number;
}

/**
 * Mac fans through the applesmc driver: a fan is driven by target rpm, not duty, between its own
 * fan{n}_min and fan{n}_max. Forced mode can survive a reboot on these machines, so restore() matters.
 */
export class ApplesmcFanActuator implements CoolingActuator {
  readonly name: string;
  readonly channels: number;
  private readonly files: SmcFanFiles[];
  private readonly foundManual = new Map<number, string>();
  private readonly ranges = new Map<number, RpmRange>();

  constructor(chip: HwmonChip, channels: readonly number[]) {
    this.name = `applesmc:${chip.tag}`;
    this.channels = channels.length;
    this.files = channels.map((n) => {
      const names = [`fan${n}_manual`, `fan${n}_output`, `fan${n}_min`, `fan${n}_max`] as const;
      const missing = names.filter((f) => !chip.files.has(f));
      if (missing.length > 0) {
        throw new CoolfleetError(ErrorCode.HwmonChipMissing, `${chip.name} at ${chip.devicePath} has no ${missing.join(", ")}`);
      }
      const [manual, output, min, max] = names.map((f) => path.join(chip.attrDir, f)) as [string, string, string, string];
      return { channel: n, manual, output, min, max };
    });
  }

  takeControl(): Promise<void> {
    return settle(() => {
      for (const f of this.files) {
        if (!this.foundManual.has(f.channel)) {
          this.foundManual.set(f.channel, readSysfsRequired(f.manual, "mode to restore later"));
        }
        this.rangeOf(f);
        writeSysfs(f.manual, FAN_MANUAL);
      }
    });
  }

  setPct(pct: number): Promise<void> {
    return settle(() => {
      const fraction = clampPct(pct) / 100;
      writeEach(this.files, (f) => {
        const { minRpm, maxRpm } = this.rangeOf(f);
        writeSysfs(f.output, String(Math.round(minRpm + fraction * (maxRpm - minRpm))));
      });
    });
  }

  restore(): Promise<void> {
    return settle(() => {
      writeEach(this.files, (f) => {
        const manual = this.foundManual.get(f.channel);
        if (manual === undefined) return;
        writeSysfs(f.manual, manual);
        this.foundManual.delete(f.channel);
      });
    });
  }

  /** Read once: the limits are the SMC's per-fan constants. */
  private rangeOf(f: SmcFanFiles): RpmRange {
    let range = this.ranges.get(f.channel);
    if (!range) {
      range = { minRpm: readRpm(f.min), maxRpm: readRpm(f.max) };
      this.ranges.set(f.channel, range);
    }
    return range;
  }
}

function readRpm(file: string): number {
  const text = readSysfsRequired(file, "fan speed limit");
  const rpm = Number(text);
  if (!/^\d+$/.test(text) || !Number.isFinite(rpm)) {
    throw new CoolfleetError(ErrorCode.HwmonWriteFailed, `${file} holds ${JSON.stringify(text)}, not an rpm`);
  }
  return rpm;
}
