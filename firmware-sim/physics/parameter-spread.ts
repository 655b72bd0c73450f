import type { HostProfile } from "../profiles/index.js";
import type { Rng } from "../rng.js";

/** Manufacturing and installation spread between hosts of one model: each listed parameter × U(1 − s, 1 + s). */
export const SPREAD_FRACTION = 0.1;

type NumericKeys<T> = { [K in keyof T]-?: T[K] extends number ? K : never }[keyof T];

/**
 * Only physical quantities vary from unit to unit. Counts, limits (Tj max, fan floor), curve shapes (exponents,
 * flow fractions) and the firmware curve are design values and stay nominal.
 */
const CPU_KEYS = ["idleW", "maxW", "leakageAt85W", "leakageDoublingK"] as const satisfies readonly NumericKeys<HostProfile["cpu"]>[];
const SOCKET_KEYS = ["dieToSinkCPerW", "dieHeatCapJPerK", "sinkHeatCapJPerK"] as const satisfies readonly NumericKeys<HostProfile["socket"]>[];
const HEATSINK_KEYS = ["r0CPerW", "kCPerW", "flowFraction"] as const satisfies readonly NumericKeys<NonNullable<HostProfile["heatsink"]>>[];
const FAN_KEYS = ["maxRpm", "maxPowerW", "totalCfmAt100", "responseTauS"] as const satisfies readonly NumericKeys<HostProfile["fans"]>[];
const PLATFORM_KEYS = ["idleW", "loadW"] as const satisfies readonly NumericKeys<HostProfile["platform"]>[];
const DRIVE_KEYS = ["idleW", "activeW", "heatCapJPerK", "r0CPerW", "kCPerW"] as const satisfies readonly NumericKeys<HostProfile["drives"][number]>[];
const LIQUID_KEYS = ["coldPlateAt1LpmCPerW", "coolantHeatCapJPerK", "radiatorCPerW", "maxFlowLpm", "pumpMaxPowerW"] as const satisfies readonly NumericKeys<
  NonNullable<HostProfile["liquid"]>
>[];

/** Each parameter draws from its own fork, so adding a parameter to the list never changes another's draw. */
function scaleKeys<T extends object>(target: T, keys: readonly NumericKeys<T>[], rng: Rng, prefix: string): void {
  for (const key of keys) {
    const factor = 1 + SPREAD_FRACTION * (2 * rng.fork(`${prefix}.${String(key)}`).next() - 1);
    (target[key] as number) = (target[key] as number) * factor;
  }
}

/** A copy of the profile with this host's parameter spread applied. */
export function applySpread(profile: HostProfile, rng: Rng): HostProfile {
  const params = structuredClone(profile);
  scaleKeys(params.cpu, CPU_KEYS, rng, "cpu");
  scaleKeys(params.socket, SOCKET_KEYS, rng, "socket");
  if (params.heatsink) scaleKeys(params.heatsink, HEATSINK_KEYS, rng, "heatsink");
  scaleKeys(params.fans, FAN_KEYS, rng, "fans");
  if (params.fans.maxRpmByFan) {
    const fanRpmFactor = params.fans.maxRpm / profile.fans.maxRpm;
    params.fans.maxRpmByFan = params.fans.maxRpmByFan.map((rpm) => rpm * fanRpmFactor);
  }
  scaleKeys(params.platform, PLATFORM_KEYS, rng, "platform");
  params.drives.forEach((drive, i) => scaleKeys(drive, DRIVE_KEYS, rng, `drives.${i}`));
  if (params.liquid) scaleKeys(params.liquid, LIQUID_KEYS, rng, "liquid");
  return params;
}
