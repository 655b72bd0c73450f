import type { HostProfile } from "../profiles/index.js";
import { createRng, type Rng } from "../rng.js";
import { AIR_W_PER_K_PER_CFM, MAX_SUBSTEP_S } from "./constants.js";
import { cpuDemandW } from "./cpu-power.js";
import { coolingPath, cpuInletC } from "./cooling-path.js";
import { drivePowerW } from "./drive-thermal.js";
import { fanMaxRpm, fanNoiseDb, fanPowerW, fanTargetFrac } from "./fan-bank.js";
import { facilityC, pumpPowerW } from "./liquid-loop.js";
import { applySpread } from "./parameter-spread.js";
import { stepLumpedNode, stepSocket } from "./socket-step.js";
import { coolantSupplyReturnC, NO_FAULTS, solveFirmwareSteadyState, solveSteadyState, type HostFaults } from "./steady-solver.js";
import type { SimInputs, SimSnapshot, SocketState } from "./types.js";

/** Conditions the host has been running at long enough to be in equilibrium when the simulation starts. */
export interface InitialConditions {
  cpuUtil?: number;
  inletC?: number;
  diskMBps?: number;
  /** Default: wherever the firmware fan curve settles. */
  fanPct?: number;
  /** Default: the CDU's automatic pump speed. */
  pumpPct?: number;
}

export interface SimHostOptions {
  hostId: string;
  profile: HostProfile;
  seed: number;
  /** ±10 % per-host parameter spread drawn from the seed; default true. */
  spread?: boolean;
  /** Default: idle at 25 °C inlet, no disk traffic, firmware fan curve. */
  initial?: InitialConditions;
}

interface SocketNodeState extends Omit<SocketState, "coreC"> {
  sinkHeatW: number;
}

const DEFAULT_INITIAL = { cpuUtil: 0, inletC: 25, diskMBps: 0 } as const;

function requireFinite(value: number, what: string): void {
  if (!Number.isFinite(value)) throw new RangeError(`SimHost: ${what} must be a finite number; got ${value}`);
}

/**
 * Per-core offsets as fractions 0..1 of the profile's core spread. The hottest core sits at 0, so the die (package)
 * temperature is the hottest core, as on real parts.
 */
function coreOffsetFractions(rng: Rng, cores: number): number[] {
  const raw = Array.from({ length: cores }, () => rng.next());
  const min = Math.min(...raw);
  const range = Math.max(...raw) - min;
  return raw.map((x) => (range > 0 ? (x - min) / range : 0));
}

/**
 * One simulated server: thermal state, fan and pump dynamics and faults. Everything is a true physical value;
 * sensor effects belong to the devices that expose the host (firmware-sim/devices).
 */
export class SimHost {
  readonly hostId: string;
  /** The nominal profile as given. */
  readonly profile: HostProfile;
  /** This host's parameters: the profile with its seed's spread applied (equal to profile with spread: false). */
  readonly params: HostProfile;

  private timeS = 0;
  private cpuUtil: number;
  private diskMBps: number;
  private inletC: number;
  private exhaustC = 0;
  private readonly fanSpeedFracs: number[];
  /** Per fan, the fraction of its commanded speed it reaches: 1 healthy, 0 rotor seized. */
  private readonly fanHealth: number[];
  private pumpFrac: number;
  private pumpHealth = 1;
  private throttleEnabled = true;
  private sockets: SocketNodeState[];
  private readonly driveC: number[];
  private readonly drivePowerW: number[];
  private loopC: number;
  private loopHeatW = 0;
  private flowLpm: number;
  private readonly coreOffsets: number[][];

  constructor(opts: SimHostOptions) {
    this.hostId = opts.hostId;
    this.profile = opts.profile;
    const rng = createRng(opts.seed);
    this.params = opts.spread === false ? structuredClone(opts.profile) : applySpread(opts.profile, rng.fork("spread"));
    const p = this.params;
    const coreRng = rng.fork("cores");
    this.coreOffsets = Array.from({ length: p.sockets }, (_, j) => coreOffsetFractions(coreRng.fork(`socket${j}`), p.coresPerSocket));

    const initial = { ...DEFAULT_INITIAL, ...opts.initial };
    this.cpuUtil = initial.cpuUtil;
    this.diskMBps = initial.diskMBps;
    this.inletC = initial.inletC;
    const solution =
      initial.fanPct === undefined ? solveFirmwareSteadyState(p, NO_FAULTS, initial) : solveSteadyState(p, NO_FAULTS, { ...initial, fanPct: initial.fanPct });
    this.fanSpeedFracs = Array.from({ length: p.fans.count }, () => solution.fanPct / 100);
    this.fanHealth = Array.from({ length: p.fans.count }, () => 1);
    this.pumpFrac = solution.pumpPct / 100;
    this.flowLpm = solution.flowLpm;
    this.sockets = solution.dieC.map((dieC, j) => {
      const dynamicW = solution.demandW[j] ?? 0;
      const leakageW = solution.leakageW[j] ?? 0;
      return { dieC, sinkC: solution.sinkC[j] ?? dieC, dynamicW, leakageW, throttled: false, sinkHeatW: dynamicW + leakageW };
    });
    this.driveC = [...solution.driveC];
    this.drivePowerW = [...solution.drivePowerW];
    this.loopC = solution.loopC;
    this.loopHeatW = this.sockets.reduce((sum, s) => sum + s.sinkHeatW, 0);
    this.exhaustC = solution.exhaustC;
  }

  /** Advances the host by dtS seconds under constant inputs, in equal sub-steps of at most 0.5 s. */
  step(dtS: number, inputs: SimInputs): void {
    requireFinite(dtS, "dtS");
    if (dtS < 0) throw new RangeError(`SimHost: dtS must not be negative; got ${dtS}`);
    requireFinite(inputs.cpuUtil, "cpuUtil");
    requireFinite(inputs.diskMBps, "diskMBps");
    requireFinite(inputs.inletC, "inletC");
    inputs.fanCmdPct.forEach((pct, i) => requireFinite(pct, `fanCmdPct[${i}]`));
    if (inputs.pumpCmdPct !== undefined) requireFinite(inputs.pumpCmdPct, "pumpCmdPct");
    this.cpuUtil = Math.min(1, Math.max(0, inputs.cpuUtil));
    this.diskMBps = Math.max(0, inputs.diskMBps);
    this.inletC = inputs.inletC;
    if (dtS === 0) return;
    const subSteps = Math.max(1, Math.ceil(dtS / MAX_SUBSTEP_S - 1e-9));
    for (let i = 0; i < subSteps; i++) this.advance(dtS / subSteps, inputs);
    this.timeS += dtS;
  }

  private advance(h: number, inputs: SimInputs): void {
    const p = this.params;
    const inletC = this.inletC;

    // Fans and pump follow their commands with a first-order lag (exact for constant commands).
    const fanAlpha = 1 - Math.exp(-h / p.fans.responseTauS);
    const lastCmd = inputs.fanCmdPct[inputs.fanCmdPct.length - 1];
    for (let i = 0; i < p.fans.count; i++) {
      // One command drives every fan; a missing command reads as full speed, as the firmware's failsafe does.
      const health = this.fanHealth[i] ?? 1;
      const target = fanTargetFrac(p.fans, inputs.fanCmdPct[i] ?? lastCmd ?? 100, health === 0) * health;
      const speed = this.fanSpeedFracs[i] ?? 0;
      const next = speed + (target - speed) * fanAlpha;
      // Snap the last femto-percent so a stopped fan reads exactly 0 rpm instead of a denormal.
      this.fanSpeedFracs[i] = Math.abs(next - target) < 1e-9 ? target : next;
    }
    const liquid = p.liquid;
    if (liquid) {
      const target = Math.min(100, Math.max(liquid.pumpMinPct, inputs.pumpCmdPct ?? liquid.firmwarePumpPct)) / 100;
      this.pumpFrac += (target - this.pumpFrac) * (1 - Math.exp(-h / liquid.pumpResponseTauS));
    }
    const path = coolingPath(p, this.fanSpeedFracs, this.pumpFrac, this.pumpHealth);
    this.flowLpm = path.flowLpm;

    // Drives sit in the front bays on inlet air.
    const perDriveMBps = this.diskMBps / Math.max(1, p.drives.length);
    let driveHeatW = 0;
    p.drives.forEach((drive, i) => {
      const powerW = drivePowerW(drive, perDriveMBps);
      const toAirCPerW = path.driveToAirCPerW[i] ?? Number.POSITIVE_INFINITY;
      const tempC = stepLumpedNode(this.driveC[i] ?? inletC, drive.heatCapJPerK, powerW, inletC, toAirCPerW, h);
      this.driveC[i] = tempC;
      this.drivePowerW[i] = powerW;
      driveHeatW += (tempC - inletC) / toAirCPerW;
    });

    const fanW = this.fanSpeedFracs.reduce((sum, s) => sum + fanPowerW(p.fans, s), 0);
    const platformW = p.platform.idleW + p.platform.loadW * this.cpuUtil;
    const refC = liquid ? this.loopC : cpuInletC(inletC, driveHeatW + fanW + p.platform.upstreamFraction * platformW, path.totalCfm);
    const demandW = cpuDemandW(p.cpu, this.cpuUtil);

    this.sockets = this.sockets.map((nodes, j) => {
      const result = stepSocket(nodes, {
        cpu: p.cpu,
        thermal: p.socket,
        demandW,
        sinkToRefCPerW: path.sinkToRefCPerW[j] ?? Number.POSITIVE_INFINITY,
        refC,
        tjMaxC: p.tjMaxC,
        throttleEnabled: this.throttleEnabled,
        dtS: h,
      });
      return { ...result };
    });
    const sinkHeatW = this.sockets.reduce((sum, s) => sum + s.sinkHeatW, 0);

    if (liquid) {
      // The loop exchanges heat with every cold plate and with the facility: one node against their weighted mean.
      const pumpHeatW = liquid.pumpHeatFraction * pumpPowerW(liquid, this.pumpFrac);
      let conductanceWPerK = 1 / liquid.radiatorCPerW;
      let weightedC = facilityC(liquid, inletC) / liquid.radiatorCPerW;
      this.sockets.forEach((s, j) => {
        const g = 1 / (path.sinkToRefCPerW[j] ?? Number.POSITIVE_INFINITY);
        conductanceWPerK += g;
        weightedC += g * s.sinkC;
      });
      this.loopC = stepLumpedNode(this.loopC, liquid.coolantHeatCapJPerK, pumpHeatW, weightedC / conductanceWPerK, 1 / conductanceWPerK, h);
      this.loopHeatW = sinkHeatW + pumpHeatW;
    }

    const airHeatW = driveHeatW + fanW + platformW + (liquid ? 0 : sinkHeatW);
    this.exhaustC = inletC + airHeatW / (AIR_W_PER_K_PER_CFM * path.totalCfm);
  }

  snapshot(): SimSnapshot {
    const p = this.params;
    const fullPowerW = p.cpu.maxW + p.cpu.leakageAt85W;
    const sockets: SocketState[] = this.sockets.map((s, j) => {
      // Hot-spot gradients across the die scale with the power being dissipated.
      const spreadC = p.cpu.coreSpreadC * Math.min(1.5, (s.dynamicW + s.leakageW) / fullPowerW);
      return {
        dieC: s.dieC,
        coreC: (this.coreOffsets[j] ?? []).map((offset) => s.dieC - spreadC * offset),
        sinkC: s.sinkC,
        dynamicW: s.dynamicW,
        leakageW: s.leakageW,
        throttled: s.throttled,
      };
    });
    const fans = this.fanSpeedFracs.map((speed, i) => ({
      speedPct: speed * 100,
      rpm: speed * fanMaxRpm(p.fans, i),
      powerW: fanPowerW(p.fans, speed),
      dead: (this.fanHealth[i] ?? 1) === 0,
    }));
    const drives = p.drives.map((drive, i) => ({ name: drive.name, tempC: this.driveC[i] ?? this.inletC, powerW: this.drivePowerW[i] ?? 0 }));
    const fanW = fans.reduce((sum, f) => sum + f.powerW, 0);
    const pumpW = p.liquid ? pumpPowerW(p.liquid, this.pumpFrac) : 0;
    const cpuW = sockets.reduce((sum, s) => sum + s.dynamicW + s.leakageW, 0);
    const driveW = drives.reduce((sum, d) => sum + d.powerW, 0);
    const platformW = p.platform.idleW + p.platform.loadW * this.cpuUtil;
    const snapshot: SimSnapshot = {
      hostId: this.hostId,
      profileId: p.id,
      timeS: this.timeS,
      cpuUtil: this.cpuUtil,
      diskMBps: this.diskMBps,
      inletC: this.inletC,
      exhaustC: this.exhaustC,
      cpuCount: p.cpuCount,
      sockets,
      fans,
      drives,
      coolingPowerW: fanW + pumpW,
      serverPowerW: cpuW + driveW + platformW + fanW + pumpW,
      tjMaxC: p.tjMaxC,
      throttled: sockets.some((s) => s.throttled),
      noiseDb: fanNoiseDb(p.fans, this.fanSpeedFracs),
    };
    if (p.liquid) {
      const { supplyC, returnC } = coolantSupplyReturnC(this.loopC, this.loopHeatW, this.flowLpm);
      snapshot.liquid = {
        pumpSpeedPct: this.pumpFrac * 100,
        pumpRpm: this.pumpFrac * p.liquid.pumpMaxRpm,
        pumpPowerW: pumpW,
        flowLpm: this.flowLpm,
        coolantSupplyC: supplyC,
        coolantReturnC: returnC,
      };
    }
    return snapshot;
  }

  setFanDead(index: number, dead: boolean): void {
    this.setFanHealth(index, dead ? 0 : 1);
  }

  /**
   * A failing fan: it reaches only healthFraction of its commanded speed (0 = rotor seized, 0.4 = a worn bearing
   * dragging it to 40 %). RPM and airflow both follow the reduced speed; 1 restores the fan.
   */
  setFanHealth(index: number, healthFraction: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.fanHealth.length) {
      throw new RangeError(`SimHost ${this.hostId}: no fan ${index}; fans are 0..${this.fanHealth.length - 1}`);
    }
    if (!Number.isFinite(healthFraction) || healthFraction < 0 || healthFraction > 1) {
      throw new RangeError(`SimHost ${this.hostId}: fan health must be 0..1; got ${healthFraction}`);
    }
    this.fanHealth[index] = healthFraction;
  }

  /** 1 = healthy, 0.5 = the pump delivers half its flow. No effect on a host without a liquid loop. */
  setPumpDegraded(fraction: number): void {
    if (!Number.isFinite(fraction) || fraction < 0 || fraction > 1) throw new RangeError(`SimHost ${this.hostId}: pump health must be 0..1; got ${fraction}`);
    this.pumpHealth = fraction;
  }

  /** Default true. Disabling it shows what the firmware's throttling protects against: thermal runaway. */
  setThrottleEnabled(enabled: boolean): void {
    this.throttleEnabled = enabled;
  }

  /** The faults currently injected, for the steady-state solver. */
  faults(): HostFaults {
    // The steady-state solver knows dead fans only; a partly failed fan counts as healthy there.
    return { deadFans: this.fanHealth.map((h) => h === 0), pumpHealth: this.pumpHealth };
  }
}
