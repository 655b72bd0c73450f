import { isAppleProfile } from "../../firmware-sim/devices/hwmon-layout.js";
import { SensorChannel, quantiseTo } from "../../firmware-sim/devices/sensor-channel.js";
import type { SimSnapshot } from "../../firmware-sim/physics/types.js";
import type { HostProfile } from "../../firmware-sim/profiles/index.js";
import { createRng } from "../../firmware-sim/rng.js";
import { limitFor } from "../../src/agent/controlled-sensors.js";
import type { TemperatureLimit } from "../../src/config/agent-schema.js";
import { CPU_UTIL_READING_ID, DISK_TOTAL_READING_ID } from "../../src/controller/features.js";
import type { Reading, SensorManifestEntry } from "../../src/protocol/index.js";

/** Sensor ids as the agent names them on the simulated hosts (they match the globs of src/cli/sim-agent-config.ts). */
export const cpuSensorId = (socket: number): string => `coretemp.${socket}:Package id ${socket}`;
/** The inlet: the Super-I/O chip's SYSTIN on the PowerEdge profiles, the SMC's ambient key (TA0P) on the Mac Pro. */
const inletSensorId = (profile: HostProfile): string => (isAppleProfile(profile) ? "applesmc:TA0P" : "nct6798:SYSTIN");
/** SATA/SAS drives report through drivetemp, NVMe drives through the nvme driver's own chip ("Composite"). */
const driveSensorId = (name: string): string => (name.startsWith("nvme") ? `nvme.${name}:Composite` : `drivetemp.${name}:temp1`);
const COOLANT_ID = "d5next:Coolant temp";
const POWER_ID = "power_meter:power1";

interface TempChannel {
  channel: SensorChannel;
  read: (s: SimSnapshot) => number;
}

/**
 * What the agent would read from one simulated host, without the sysfs round trip: the device layer's own
 * SensorChannel (lag, Gaussian noise, quantisation, faults) with the profile's sensor characteristics, on the
 * package sensor of each socket, the inlet, each drive and the coolant. Per-core sensors are left out: the hottest
 * core is the package reading, and their targets (package + 2 °C) never bind first.
 */
export class BenchSensors {
  private readonly temps: TempChannel[];
  /** The hottest package without noise or quantisation (lag only): what a perfect sensor of this kind reports. */
  private readonly cleanCpu: SensorChannel;
  private lastCleanCpuC = Number.NaN;
  /** The PowerEdge profiles carry a BMC power meter; the Mac Pro's hwmon tree has none. */
  private readonly hasPowerMeter: boolean;

  constructor(profile: HostProfile, seed: number) {
    this.hasPowerMeter = !isAppleProfile(profile);
    const rng = createRng(seed).fork("sensors");
    const s = profile.sensors;
    const channel = (id: string): SensorChannel =>
      new SensorChannel({ id, quantity: "temperature", lagS: s.lagS, noiseSd: s.noiseC, rng: rng.fork(id), quantise: quantiseTo(s.quantC ?? 1) });
    this.temps = [
      ...Array.from({ length: profile.sockets }, (_, j) => ({ channel: channel(cpuSensorId(j)), read: (snap: SimSnapshot) => snap.sockets[j]?.dieC ?? Number.NaN })),
      { channel: channel(inletSensorId(profile)), read: (snap: SimSnapshot) => snap.inletC },
      ...profile.drives.map((d, i) => ({ channel: channel(driveSensorId(d.name)), read: (snap: SimSnapshot) => snap.drives[i]?.tempC ?? Number.NaN })),
      ...(profile.liquid ? [{ channel: channel(COOLANT_ID), read: (snap: SimSnapshot) => snap.liquid?.coolantSupplyC ?? Number.NaN }] : []),
    ];
    this.cleanCpu = new SensorChannel({ id: "clean-cpu", quantity: "temperature", lagS: s.lagS });
  }

  /** The birth manifest: every temperature with the limits the agent config gives it. */
  manifest(limits: readonly TemperatureLimit[]): SensorManifestEntry[] {
    const entries: SensorManifestEntry[] = this.temps.map(({ channel }) => {
      const limit = limitFor(channel.id, limits);
      return {
        id: channel.id,
        kind: "temperature",
        unit: "C",
        ...(limit ? { role: limit.role, targetC: limit.targetC, criticalC: limit.criticalC, required: limit.required } : {}),
      };
    });
    entries.push({ id: CPU_UTIL_READING_ID, kind: "load", unit: "pct" }, { id: DISK_TOTAL_READING_ID, kind: "disk", unit: "MBps" });
    if (this.hasPowerMeter) entries.push({ id: POWER_ID, kind: "power", unit: "W" });
    return entries;
  }

  /** One sweep after dtS of physics: every reading with its quality, as the agent would publish it. */
  read(snapshot: SimSnapshot, dtS: number): Reading[] {
    const readings: Reading[] = this.temps.map(({ channel, read }) => {
      const value = channel.report(read(snapshot), dtS);
      return { id: channel.id, kind: "temperature", unit: "C", value, quality: value === null ? "missing" : "ok" };
    });
    const hottest = Math.max(...snapshot.sockets.map((x) => x.dieC));
    this.lastCleanCpuC = this.cleanCpu.report(hottest, dtS) ?? Number.NaN;
    readings.push(
      { id: CPU_UTIL_READING_ID, kind: "load", unit: "pct", value: snapshot.cpuUtil * 100, quality: "ok" },
      { id: DISK_TOTAL_READING_ID, kind: "disk", unit: "MBps", value: snapshot.diskMBps, quality: "ok" },
    );
    if (this.hasPowerMeter) readings.push({ id: POWER_ID, kind: "power", unit: "W", value: Math.round(snapshot.serverPowerW), quality: "ok" });
    return readings;
  }

  /** The hottest package as a noise-free sensor would read it (for judging model error against the physics). */
  get cleanCpuC(): number {
    return this.lastCleanCpuC;
  }

  /** Starts (or, with false, ends) a drop-out of a CPU package sensor: it reads as missing. */
  setCpuDropout(socket: number, on: boolean): void {
    const entry = this.temps.find((t) => t.channel.id === cpuSensorId(socket));
    if (!entry) return;
    if (on) entry.channel.setFault({ kind: "dropout" });
    else entry.channel.clearFault();
  }
}
