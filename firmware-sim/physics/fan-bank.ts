import type { FanParams } from "../profiles/index.js";

/** Electrical power of one fan at a speed fraction 0..1 (affinity law: cube of speed). */
export function fanPowerW(fans: FanParams, speedFrac: number): number {
  return fans.maxPowerW * speedFrac ** 3;
}

export function fanMaxRpm(fans: FanParams, index: number): number {
  return fans.maxRpmByFan?.[index] ?? fans.maxRpm;
}

/** Airflow of one fan; flow is proportional to speed (affinity law against a fixed system impedance). */
export function fanCfm(fans: FanParams, speedFrac: number): number {
  return (fans.totalCfmAt100 / fans.count) * speedFrac;
}

/** The fans in front of a socket: the bank split into equal contiguous groups, one per socket. */
export function fanGroup(fanCount: number, sockets: number, socketIndex: number): { start: number; end: number } {
  return { start: Math.floor((socketIndex * fanCount) / sockets), end: Math.floor(((socketIndex + 1) * fanCount) / sockets) };
}

/** Fan speed the firmware floor allows for a command; a dead fan gets no say. */
export function fanTargetFrac(fans: FanParams, cmdPct: number, dead: boolean): number {
  if (dead) return 0;
  return Math.min(100, Math.max(fans.minPct, cmdPct)) / 100;
}

/** Sound power level of the fan bank: L0 + 50·log10(speed), summed as energy over the fans. */
export function fanNoiseDb(fans: FanParams, speedFracs: readonly number[]): number {
  const meanFifthPower = speedFracs.reduce((sum, s) => sum + s ** 5, 0) / Math.max(1, speedFracs.length);
  // A silent bank still has a floor: 60 dB below full speed is inaudible against a data-centre hall.
  return fans.noiseAt100Db + Math.max(-60, 10 * Math.log10(meanFifthPower));
}
