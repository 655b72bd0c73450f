import type { SimSnapshot } from "../physics/types.js";
import type { DeviceProfile } from "./device-contracts.js";
import type { SensorQuantity } from "./sensor-channel.js";

/** One sensor attribute of a chip: `<prefix>_input` (or power1_average) plus an optional `<prefix>_label`. */
export interface SensorAttrSpec {
  /** temp1, fan2, power1 … */
  prefix: string;
  /** The value file: temp1_input, power1_average … */
  file: string;
  label?: string;
  quantity: SensorQuantity;
  /** True value in the channel's unit (°C, RPM, W, dL/h). */
  read: (snap: SimSnapshot) => number;
  /** Tachometer-style quantisation for fan channels of Super-I/O chips. */
  tach?: boolean;
  /** The chassis fan (0-based) whose speed this channel reports, for fan tachometers. */
  fanIndex?: number;
}

/** What a writable control channel drives. */
export type ControlTarget = { kind: "fan"; index: number } | { kind: "pump" };

/** pwmN + pwmN_enable, as nct6775-family and aquacomputer drivers expose them. */
export interface PwmControlSpec {
  kind: "pwm";
  channel: number;
  target: ControlTarget;
}

/** The applesmc fan interface: fanN_manual (0 auto, 1 manual) and fanN_output (target RPM). */
export interface SmcFanControlSpec {
  kind: "smc";
  channel: number;
  fanIndex: number;
  minRpm: number;
  maxRpm: number;
}

export type ControlSpec = PwmControlSpec | SmcFanControlSpec;

export interface ChipSpec {
  /** Stable id used in sensor ids and selectors: coretemp.0, nct6798, drivetemp.sda, d5next … */
  id: string;
  /** Content of the hwmon `name` file. */
  name: string;
  /** The real device directory, relative to the host root. */
  devicePath: string;
  /** Files written once (labels of controls, limits). */
  staticFiles: Record<string, string>;
  sensors: SensorAttrSpec[];
  controls: ControlSpec[];
  /**
   * The kernel puts a class device under a "hwmon" glue directory unless its parent is itself a class device
   * (nvme: `…/nvme/nvme0/hwmon2`; coretemp: `…/coretemp.0/hwmon/hwmon3`).
   */
  parentIsClassDevice?: boolean;
  /** The drive this chip measures: its block directory (relative to the host root) and `sys/block/<name>` link. */
  block?: { name: string; path: string };
}

const CORES_SHOWN = 4;
const SUPER_IO_DEVICE = "sys/devices/platform/nct6775.656";
const POWER_METER_DEVICE = "sys/devices/LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00";
// Aquacomputer's USB id 0c70:f00e, as hid-generic enumerates it under the USB interface.
const D5NEXT_DEVICE = "sys/devices/pci0000:00/0000:00:14.0/usb1/1-4/1-4:1.1/0003:0C70:F00E.0003";
const APPLESMC_DEVICE = "sys/devices/platform/applesmc.768";

/** The Mac Pro runs Linux with the applesmc driver; the PowerEdge profiles carry a Super-I/O chip and a BMC power meter. */
export function isAppleProfile(profile: DeviceProfile): boolean {
  return profile.id.startsWith("macpro");
}

/** Every hwmon chip a host of this profile exposes. */
export function chipsForProfile(profile: DeviceProfile): ChipSpec[] {
  const chips: ChipSpec[] = [];
  for (let s = 0; s < profile.sockets; s++) chips.push(coretempChip(profile, s));
  if (isAppleProfile(profile)) {
    chips.push(applesmcChip(profile));
  } else {
    chips.push(superIoChip(profile));
    chips.push(powerMeterChip());
  }
  if (profile.coolingKind === "liquid") chips.push(d5nextChip());
  let scsiIndex = 0;
  let nvmeIndex = 0;
  for (const drive of profile.drives) {
    chips.push(drive.name.startsWith("nvme") ? nvmeChip(drive.name, nvmeIndex++) : drivetempChip(drive.name, scsiIndex++));
  }
  return chips;
}

function coretempChip(profile: DeviceProfile, socket: number): ChipSpec {
  const critMilli = String(Math.round(profile.tjMaxC * 1000)) + "\n";
  const sensors: SensorAttrSpec[] = [
    temp("temp1", `Package id ${socket}`, (s) => s.sockets[socket]?.dieC ?? NaN),
  ];
  for (let core = 0; core < CORES_SHOWN; core++) {
    sensors.push(temp(`temp${core + 2}`, `Core ${core}`, (s) => s.sockets[socket]?.coreC[core] ?? s.sockets[socket]?.dieC ?? NaN));
  }
  const staticFiles: Record<string, string> = {};
  for (const sensor of sensors) staticFiles[`${sensor.prefix}_crit`] = critMilli;
  return { id: `coretemp.${socket}`, name: "coretemp", devicePath: `sys/devices/platform/coretemp.${socket}`, staticFiles, sensors, controls: [] };
}

function superIoChip(profile: DeviceProfile): ChipSpec {
  const sensors: SensorAttrSpec[] = [temp("temp1", "SYSTIN", (s) => s.inletC), temp("temp2", "Exhaust", (s) => s.exhaustC)];
  const controls: ControlSpec[] = [];
  for (let i = 0; i < profile.fans.count; i++) {
    sensors.push({ prefix: `fan${i + 1}`, file: `fan${i + 1}_input`, quantity: "fan", read: (s) => fanRpm(s, i), tach: true, fanIndex: i });
    controls.push({ kind: "pwm", channel: i + 1, target: { kind: "fan", index: i } });
  }
  return { id: "nct6798", name: "nct6798", devicePath: SUPER_IO_DEVICE, staticFiles: {}, sensors, controls };
}

function powerMeterChip(): ChipSpec {
  return {
    id: "power_meter",
    name: "power_meter",
    devicePath: POWER_METER_DEVICE,
    staticFiles: { power1_average_interval: "1000\n" },
    sensors: [{ prefix: "power1", file: "power1_average", quantity: "power", read: (s) => s.serverPowerW }],
    controls: [],
  };
}

function d5nextChip(): ChipSpec {
  return {
    id: "d5next",
    name: "d5next",
    devicePath: D5NEXT_DEVICE,
    staticFiles: {},
    sensors: [
      temp("temp1", "Coolant temp", (s) => s.liquid?.coolantSupplyC ?? NaN),
      { prefix: "fan1", file: "fan1_input", label: "Pump speed", quantity: "fan", read: (s) => s.liquid?.pumpRpm ?? 0 },
      // The driver reports flow on a fan channel, in dL/h; 1 L/min = 600 dL/h.
      { prefix: "fan2", file: "fan2_input", label: "Flow speed [dL/h]", quantity: "flow", read: (s) => (s.liquid?.flowLpm ?? 0) * 600 },
    ],
    controls: [{ kind: "pwm", channel: 1, target: { kind: "pump" } }],
  };
}

function applesmcChip(profile: DeviceProfile): ChipSpec {
  const sensors: SensorAttrSpec[] = [
    temp("temp1", "TA0P", (s) => s.inletC),
    temp("temp2", "TA1P", (s) => s.exhaustC),
    temp("temp3", "TC0D", (s) => s.sockets[0]?.dieC ?? NaN),
    temp("temp4", "TC0P", (s) => s.sockets[0]?.sinkC ?? NaN),
  ];
  const controls: ControlSpec[] = [];
  const staticFiles: Record<string, string> = {};
  for (let i = 0; i < profile.fans.count; i++) {
    const n = i + 1;
    const fanMaxRpm = profile.fans.maxRpmByFan?.[i] ?? profile.fans.maxRpm;
    const maxRpm = Math.round(fanMaxRpm);
    const minRpm = Math.round((profile.fans.minPct / 100) * fanMaxRpm);
    sensors.push({ prefix: `fan${n}`, file: `fan${n}_input`, label: smcFanLabel(i, profile.fans.count), quantity: "fan", read: (s) => fanRpm(s, i), fanIndex: i });
    staticFiles[`fan${n}_min`] = `${minRpm}\n`;
    staticFiles[`fan${n}_max`] = `${maxRpm}\n`;
    controls.push({ kind: "smc", channel: n, fanIndex: i, minRpm, maxRpm });
  }
  return { id: "applesmc", name: "applesmc", devicePath: APPLESMC_DEVICE, staticFiles, sensors, controls };
}

/** The Mac Pro 2019 has three front fans and a blower; other counts get plain numbers. */
function smcFanLabel(index: number, count: number): string {
  if (count === 4) return ["Front 1", "Front 2", "Front 3", "Blower"][index] ?? `Fan ${index + 1}`;
  return `Fan ${index + 1}`;
}

/** A SATA/SAS drive: drivetemp binds to its SCSI device, one AHCI port per drive (ataN/hostN/targetN:0:0/N:0:0:0). */
function drivetempChip(driveName: string, port: number): ChipSpec {
  const devicePath = `sys/devices/pci0000:00/0000:00:17.0/ata${port + 1}/host${port}/target${port}:0:0/${port}:0:0:0`;
  return {
    id: `drivetemp.${driveName}`,
    name: "drivetemp",
    devicePath,
    staticFiles: {},
    sensors: [{ prefix: "temp1", file: "temp1_input", quantity: "temperature", read: (s) => driveTempC(s, driveName) }],
    controls: [],
    block: { name: driveName, path: `${devicePath}/block/${driveName}` },
  };
}

/** An NVMe drive: the nvme driver's own hwmon chip ("nvme", temp1 "Composite") under the controller nvmeN. */
function nvmeChip(driveName: string, index: number): ChipSpec {
  const controller = /^(nvme\d+)/.exec(driveName)?.[1] ?? `nvme${index}`;
  const devicePath = `sys/devices/pci0000:00/0000:00:1d.${index}/0000:${(0x3d + index).toString(16)}:00.0/nvme/${controller}`;
  return {
    id: `nvme.${driveName}`,
    name: "nvme",
    devicePath,
    staticFiles: { temp1_crit: "84850\n", temp1_max: "81850\n" },
    sensors: [temp("temp1", "Composite", (s) => driveTempC(s, driveName))],
    controls: [],
    parentIsClassDevice: true,
    block: { name: driveName, path: `${devicePath}/${driveName}` },
  };
}

/** A dead fan gives no tachometer pulses: it reads 0 at once, while the physics lets its airflow run down. */
function fanRpm(snap: SimSnapshot, index: number): number {
  const fan = snap.fans[index];
  return !fan || fan.dead ? 0 : fan.rpm;
}

function driveTempC(snap: SimSnapshot, name: string): number {
  return snap.drives.find((d) => d.name === name)?.tempC ?? NaN;
}

function temp(prefix: string, label: string, read: (snap: SimSnapshot) => number): SensorAttrSpec {
  return { prefix, file: `${prefix}_input`, label, quantity: "temperature", read };
}
