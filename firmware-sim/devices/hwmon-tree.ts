import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import type { SimSnapshot } from "../physics/types.js";
import type { DeviceProfile, DeviceRng } from "./device-contracts.js";
import { PwmFanControl, SmcFanControl, type FanControl } from "./fan-control.js";
import { chipsForProfile, type ChipSpec, type SensorAttrSpec } from "./hwmon-layout.js";
import { quantiseTo, quantiseToWhole, SensorChannel } from "./sensor-channel.js";
import type { SysfsFiles } from "./sysfs-files.js";

/** Where one chip landed in the tree. */
export interface HwmonChipInfo {
  id: string;
  name: string;
  /** hwmonN: shuffled per seed, as the kernel's probe order is not something to rely on. */
  hwmonIndex: number;
  /** `<host root>/sys/class/hwmon/hwmonN` (a symlink). */
  classPath: string;
  /** The real directory: `<host root>/sys/devices/…/hwmon/hwmonN`. */
  hwmonDir: string;
  /** `<host root>/sys/devices/…`, what the `device` link points at. */
  devicePath: string;
}

export interface HwmonTreeOptions {
  hostRoot: string;
  profile: DeviceProfile;
  rng: DeviceRng;
  files: SysfsFiles;
  /** Values the files start with, before the first step. */
  initial: SimSnapshot;
  /** What the firmware commands at power-on (fans, then pump). */
  initialFanPct: number;
  initialPumpPct: number;
}

interface PublishedSensor {
  channel: SensorChannel;
  path: string;
  spec: SensorAttrSpec;
}

// Super-I/O tachometers count ticks of a 1.35 MHz clock per revolution; RPM is 1350000 / count. The count
// register is 13 bits wide: a fan slower than that can measure (~165 RPM) reads 0, as a stopped one.
const TACH_CLOCK = 1_350_000;
const TACH_COUNT_MAX = 0x1fff;

/** The hwmon part of a simulated host's sysfs: chips, their sensor files, and their writable controls. */
export class HwmonTree {
  readonly chips: HwmonChipInfo[] = [];
  readonly sensors: SensorChannel[] = [];
  readonly controls: FanControl[] = [];
  /** Sensor id of each fan tachometer → the fan (0-based) it reports. */
  readonly fanTachs = new Map<string, number>();
  private readonly published: PublishedSensor[] = [];
  private readonly files: SysfsFiles;

  constructor(opts: HwmonTreeOptions) {
    this.files = opts.files;
    const specs = chipsForProfile(opts.profile);
    const order = shuffledIndexes(specs.length, opts.rng.fork("hwmon-order"));
    const noiseRng = opts.rng.fork("sensor-noise");
    mkdirSync(join(opts.hostRoot, "sys/class/hwmon"), { recursive: true });
    specs.forEach((spec, i) => {
      const info = this.createChip(opts.hostRoot, spec, order[i] ?? i);
      this.chips.push(info);
      for (const attr of spec.sensors) this.addSensor(info, spec, attr, opts, noiseRng);
      for (const control of spec.controls) {
        const pct = control.kind === "pwm" && control.target.kind === "pump" ? opts.initialPumpPct : opts.initialFanPct;
        this.controls.push(control.kind === "pwm" ? new PwmFanControl(info.hwmonDir, control, this.files, pct) : new SmcFanControl(info.hwmonDir, control, this.files, pct));
      }
    });
    this.publish(opts.initial, 0);
  }

  /** Polls every writable attribute; returns the writes rejected as invalid. */
  readBack(): number {
    let rejected = 0;
    for (const control of this.controls) rejected += control.readBack();
    return rejected;
  }

  /** Reports every sensor for this step and writes the files whose content changed. */
  publish(snap: SimSnapshot, dtS: number): void {
    for (const { channel, path, spec } of this.published) {
      const trueValue = spec.read(snap);
      // A value the physics does not provide is a missing sensor, not a reading.
      const value = Number.isFinite(trueValue) ? channel.report(trueValue, dtS) : null;
      if (value === null) this.files.remove(path);
      else this.files.publish(path, `${toSysfsInteger(spec, value)}\n`);
    }
  }

  private createChip(hostRoot: string, spec: ChipSpec, hwmonIndex: number): HwmonChipInfo {
    const devicePath = join(hostRoot, spec.devicePath);
    const hwmonDir = spec.parentIsClassDevice ? join(devicePath, `hwmon${hwmonIndex}`) : join(devicePath, "hwmon", `hwmon${hwmonIndex}`);
    const classPath = join(hostRoot, "sys/class/hwmon", `hwmon${hwmonIndex}`);
    mkdirSync(hwmonDir, { recursive: true });
    symlinkSync(relative(dirname(classPath), hwmonDir), classPath);
    symlinkSync(relative(hwmonDir, devicePath), join(hwmonDir, "device"));
    writeFileSync(join(hwmonDir, "name"), `${spec.name}\n`);
    for (const [file, content] of Object.entries(spec.staticFiles)) writeFileSync(join(hwmonDir, file), content);
    for (const attr of spec.sensors) {
      if (attr.label !== undefined) writeFileSync(join(hwmonDir, `${attr.prefix}_label`), `${attr.label}\n`);
    }
    if (spec.block !== undefined) {
      const blockDir = join(hostRoot, spec.block.path);
      mkdirSync(blockDir, { recursive: true });
      const blockLink = join(hostRoot, "sys/block", spec.block.name);
      mkdirSync(dirname(blockLink), { recursive: true });
      symlinkSync(relative(dirname(blockLink), blockDir), blockLink);
    }
    return { id: spec.id, name: spec.name, hwmonIndex, classPath, hwmonDir, devicePath };
  }

  private addSensor(info: HwmonChipInfo, spec: ChipSpec, attr: SensorAttrSpec, opts: HwmonTreeOptions, noiseRng: DeviceRng): void {
    const id = `${spec.id}:${attr.prefix}`;
    const isTemp = attr.quantity === "temperature";
    const channel = new SensorChannel({
      id,
      ...(attr.label !== undefined ? { label: attr.label } : {}),
      quantity: attr.quantity,
      lagS: isTemp ? opts.profile.sensors.lagS : 0,
      noiseSd: isTemp ? opts.profile.sensors.noiseC : 0,
      rng: noiseRng.fork(id),
      quantise: isTemp ? quantiseTo(opts.profile.sensors.quantC ?? 1) : attr.tach ? tachRpm : quantiseToWhole,
      // ACPI power meters report an average over power1_average_interval (1 s here).
      averageOverS: attr.quantity === "power" ? 1 : 0,
    });
    this.sensors.push(channel);
    if (attr.fanIndex !== undefined) this.fanTachs.set(id, attr.fanIndex);
    this.published.push({ channel, path: join(info.hwmonDir, attr.file), spec: attr });
  }
}

/** The integer a kernel driver shows: millidegrees, RPM, microwatts, dL/h. */
function toSysfsInteger(spec: SensorAttrSpec, value: number): number {
  if (spec.quantity === "temperature") return Math.round(value * 1000);
  if (spec.quantity === "power") return Math.round(value * 1_000_000);
  return Math.round(value);
}

function tachRpm(rpm: number): number {
  if (rpm <= 0) return 0;
  const count = Math.max(1, Math.round(TACH_CLOCK / rpm));
  return count >= TACH_COUNT_MAX ? 0 : Math.round(TACH_CLOCK / count);
}

/** A seeded permutation of 0..n-1 (Fisher–Yates). */
function shuffledIndexes(n: number, rng: DeviceRng): number[] {
  const out = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rng.next() * (i + 1));
    const a = out[i] as number;
    out[i] = out[j] as number;
    out[j] = a;
  }
  return out;
}
