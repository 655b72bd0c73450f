import type { SimSnapshot } from "../../firmware-sim/physics/types.js";

/** The CPU control target is Tj max − 10 °C (reference), drives' target is their limit − 8 °C (sim agent config). */
export const CPU_TARGET_BELOW_TJMAX_C = 10;
export const DRIVE_TARGET_BELOW_LIMIT_C = 8;
/** A fan move smaller than this is not counted as a direction change (the output's own rounding). */
const REVERSAL_DEADBAND_PCT = 0.5;

/** One (policy, workload, seed) run, averaged per host unless the name says max/peak/p99. */
export interface RunMetrics {
  hosts: number;
  durationS: number;
  /** Fans + pumps, J per host. */
  coolingEnergyJ: number;
  /** Whole server incl. leakage, J per host. */
  totalEnergyJ: number;
  leakageEnergyJ: number;
  /** A true temperature at or over its hard limit (die at Tj max, drive over its limit), s per host. */
  overLimitS: number;
  overLimitKh: number;
  /** A true temperature above its control target (Tj max − 10; drive limit − 8), s per host. */
  aboveTargetS: number;
  aboveTargetKh: number;
  throttleS: number;
  /**
   * The same over the hosts that can stay under Tj max at all: at the run's peak load and inlet, with every fan at
   * 100 % on the fans and pump the run's faults leave, their steady die is below Tj max. Seconds per host of the
   * whole run (the others count as 0), so it compares with throttleS.
   */
  throttleAvoidableS: number;
  /** Hosts that would throttle at the run's peak conditions even at full fan. */
  unavoidableThrottleHosts: number;
  /** Highest die temperature above its target, any host, any time (0 if never above). */
  maxOvershootC: number;
  /**
   * The same over the hosts that can hold their target at all: at the run's peak load and inlet, with every fan at
   * 100 % — on the fans and pump the run's faults leave working — their steady die sits at or below the target.
   * (With the ±10 % parameter spread a few hosts cannot, and a few more once a fan dies; no controller can keep
   * those under it, and they would otherwise set this number for every policy.)
   */
  maxOvershootControllableC: number;
  /** Hosts that cannot hold their CPU target at the run's peak conditions even at full fan. */
  uncontrollableHosts: number;
  maxDieC: number;
  maxDriveC: number;
  /** Σ|Δ fan output| per host, percentage points. */
  fanTotalVariationPct: number;
  fanReversalsPerH: number;
  /** Time-mean of the fan-noise proxy. */
  noiseDbMean: number;
  peakCoolingW: number;
  /** RMS of (hottest die − target): how closely a policy holds the target (energy-optimal policies sit below it on purpose). */
  rmsTrackingErrorC: number;
  meanFanPct: number;
  /** Share of host-seconds in each controller state. */
  stateShare: Record<string, number>;
}

/** Accumulates one host's metrics from the physics' true values after every step. */
export class HostMetrics {
  coolingJ = 0;
  totalJ = 0;
  leakageJ = 0;
  overLimitS = 0;
  overLimitKs = 0;
  aboveTargetS = 0;
  aboveTargetKs = 0;
  throttleS = 0;
  maxOvershootC = 0;
  maxDieC = Number.NEGATIVE_INFINITY;
  maxDriveC = Number.NEGATIVE_INFINITY;
  fanTv = 0;
  reversals = 0;
  noiseDbS = 0;
  peakCoolingW = 0;
  trackingSqS = 0;
  fanPctS = 0;
  timeS = 0;
  private lastFanPct: number | undefined;
  private lastDirection = 0;

  constructor(
    private readonly tjMaxC: number,
    private readonly driveLimitsC: readonly number[],
    /** Whether full fan (on the fans the run leaves working) can hold this host's die at its target at the run's peak load and inlet. */
    readonly controllable = true,
    /** Whether full fan, on the same terms, keeps this host's die below Tj max. */
    readonly canAvoidThrottle = true,
  ) {}

  /** After a physics step of dtS under fan output fanPct. */
  add(snap: SimSnapshot, fanPct: number, dtS: number): void {
    this.timeS += dtS;
    this.coolingJ += snap.coolingPowerW * dtS;
    this.totalJ += snap.serverPowerW * dtS;
    this.peakCoolingW = Math.max(this.peakCoolingW, snap.coolingPowerW);
    this.noiseDbS += (snap.noiseDb ?? 0) * dtS;
    this.fanPctS += fanPct * dtS;

    let dieC = Number.NEGATIVE_INFINITY;
    for (const s of snap.sockets) {
      dieC = Math.max(dieC, s.dieC);
      this.leakageJ += s.leakageW * dtS;
    }
    const targetC = this.tjMaxC - CPU_TARGET_BELOW_TJMAX_C;
    this.maxDieC = Math.max(this.maxDieC, dieC);
    this.maxOvershootC = Math.max(this.maxOvershootC, dieC - targetC);
    this.trackingSqS += (dieC - targetC) ** 2 * dtS;
    if (snap.throttled) this.throttleS += dtS;

    // Throttling holds the die at Tj max to within rounding, so "at" the limit counts as over it.
    let overK = Math.max(0, dieC - this.tjMaxC);
    let over = snap.throttled === true || dieC >= this.tjMaxC - 0.05;
    let aboveK = Math.max(0, dieC - targetC);
    snap.drives.forEach((d, i) => {
      const limitC = this.driveLimitsC[i] ?? Number.POSITIVE_INFINITY;
      this.maxDriveC = Math.max(this.maxDriveC, d.tempC);
      overK = Math.max(overK, d.tempC - limitC);
      over ||= d.tempC > limitC;
      aboveK = Math.max(aboveK, d.tempC - (limitC - DRIVE_TARGET_BELOW_LIMIT_C));
    });
    if (over) this.overLimitS += dtS;
    this.overLimitKs += overK * dtS;
    if (aboveK > 0) this.aboveTargetS += dtS;
    this.aboveTargetKs += aboveK * dtS;

    if (this.lastFanPct !== undefined) {
      const delta = fanPct - this.lastFanPct;
      this.fanTv += Math.abs(delta);
      if (Math.abs(delta) > REVERSAL_DEADBAND_PCT) {
        const direction = Math.sign(delta);
        if (this.lastDirection !== 0 && direction !== this.lastDirection) this.reversals++;
        this.lastDirection = direction;
      }
    }
    this.lastFanPct = fanPct;
  }
}

/** Folds the hosts of one run into per-host means (and fleet-wide maxima). */
export function summariseRun(hosts: readonly HostMetrics[], stateSeconds: Record<string, number>): RunMetrics {
  const n = Math.max(1, hosts.length);
  const mean = (f: (h: HostMetrics) => number): number => hosts.reduce((sum, h) => sum + f(h), 0) / n;
  const max = (f: (h: HostMetrics) => number): number => hosts.reduce((m, h) => Math.max(m, f(h)), Number.NEGATIVE_INFINITY);
  const durationS = hosts[0]?.timeS ?? 0;
  const totalStateS = Object.values(stateSeconds).reduce((a, b) => a + b, 0) || 1;
  return {
    hosts: hosts.length,
    durationS,
    coolingEnergyJ: mean((h) => h.coolingJ),
    totalEnergyJ: mean((h) => h.totalJ),
    leakageEnergyJ: mean((h) => h.leakageJ),
    overLimitS: mean((h) => h.overLimitS),
    overLimitKh: mean((h) => h.overLimitKs / 3600),
    aboveTargetS: mean((h) => h.aboveTargetS),
    aboveTargetKh: mean((h) => h.aboveTargetKs / 3600),
    throttleS: mean((h) => h.throttleS),
    throttleAvoidableS: mean((h) => (h.canAvoidThrottle ? h.throttleS : 0)),
    unavoidableThrottleHosts: hosts.filter((h) => !h.canAvoidThrottle).length,
    maxOvershootC: Math.max(0, max((h) => h.maxOvershootC)),
    maxOvershootControllableC: Math.max(0, max((h) => (h.controllable ? h.maxOvershootC : 0))),
    uncontrollableHosts: hosts.filter((h) => !h.controllable).length,
    maxDieC: max((h) => h.maxDieC),
    maxDriveC: max((h) => h.maxDriveC),
    fanTotalVariationPct: mean((h) => h.fanTv),
    fanReversalsPerH: mean((h) => (h.timeS > 0 ? (h.reversals * 3600) / h.timeS : 0)),
    noiseDbMean: mean((h) => (h.timeS > 0 ? h.noiseDbS / h.timeS : 0)),
    peakCoolingW: max((h) => h.peakCoolingW),
    rmsTrackingErrorC: Math.sqrt(mean((h) => (h.timeS > 0 ? h.trackingSqS / h.timeS : 0))),
    meanFanPct: mean((h) => (h.timeS > 0 ? h.fanPctS / h.timeS : 0)),
    stateShare: Object.fromEntries(Object.entries(stateSeconds).map(([k, v]) => [k, v / totalStateS])),
  };
}
