/**
 * The contract between the thermal physics (firmware-sim/physics) and the simulated devices that expose it
 * (firmware-sim/devices: sysfs/procfs tree, and later the BMC, the CDU and the SMC helper).
 * All values are true physical values; sensor effects (quantisation, noise, lag, faults) are applied by the devices.
 */

export type CoolingKind = "air" | "liquid";

/** Inputs for one physics step. */
export interface SimInputs {
  /** CPU utilisation 0..1, same on every socket. */
  cpuUtil: number;
  /** Storage throughput in MB/s, spread over the drives. */
  diskMBps: number;
  /** Inlet air temperature. */
  inletC: number;
  /** Commanded speed per fan, 0..100 (the fan reaches it with its response lag; min speed per profile). */
  fanCmdPct: readonly number[];
  /** Commanded pump speed 0..100; ignored on air-cooled hosts. */
  pumpCmdPct?: number;
}

export interface SocketState {
  /** Die (junction) temperature. */
  dieC: number;
  /** Per-core temperatures (die plus a small fixed per-core offset). */
  coreC: number[];
  /** Heatsink or cold-plate temperature. */
  sinkC: number;
  /** Dynamic plus idle power, excluding leakage. */
  dynamicW: number;
  leakageW: number;
  /** True while the die is at Tj max and the CPU is throttling (dynamic power cut). */
  throttled: boolean;
}

export interface FanState {
  /** Actual speed after the response lag, 0..100; 0 for a dead fan. */
  speedPct: number;
  rpm: number;
  powerW: number;
  dead: boolean;
}

export interface DriveState {
  /** Kernel block device name, e.g. "sda". */
  name: string;
  tempC: number;
  powerW: number;
}

export interface LiquidLoopState {
  pumpSpeedPct: number;
  pumpRpm: number;
  pumpPowerW: number;
  flowLpm: number;
  coolantSupplyC: number;
  coolantReturnC: number;
}

export interface SimSnapshot {
  hostId: string;
  profileId: string;
  /** Simulated seconds since the host was created. */
  timeS: number;
  cpuUtil: number;
  diskMBps: number;
  inletC: number;
  exhaustC: number;
  /** Logical CPUs, for /proc/stat. */
  cpuCount: number;
  sockets: SocketState[];
  fans: FanState[];
  drives: DriveState[];
  liquid?: LiquidLoopState;
  /** Sum of fan and pump power. */
  coolingPowerW: number;
  /** Whole-server power: CPUs (with leakage), drives, fans, pump, rest of platform. */
  serverPowerW: number;
  /** Tj max: throttling begins here. */
  tjMaxC: number;
  /** True while any socket is throttling. */
  throttled?: boolean;
  /** Fan-noise proxy: sound power of the fan bank, L0 + 50·log10(speed) summed over fans. */
  noiseDb?: number;
}
