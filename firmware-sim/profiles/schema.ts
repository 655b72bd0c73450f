import { z } from "zod";

/**
 * Host profile schema: every physics parameter of one server model, with its unit in the name.
 * The numbers live in the JSON files beside this one; docs/simulator.md explains each and where it comes from.
 */

const positive = z.number().positive();
const nonNegative = z.number().nonnegative();
const fraction = z.number().min(0).max(1);
const pct = z.number().min(0).max(100);

export const CpuParams = z
  .object({
    /** Marketing TDP; informational, and the base the leakage share is quoted against. */
    tdpW: positive,
    /** P(0): package power at idle, excluding leakage. */
    idleW: nonNegative,
    /** P(1): package power at full utilisation, excluding leakage. */
    maxW: positive,
    /** Leakage of one package at 85 °C die temperature. */
    leakageAt85W: nonNegative,
    /** Leakage doubles every this many kelvin. */
    leakageDoublingK: positive,
    /** Hottest-to-coolest core spread at full power; cores sit at or below the die (package) temperature. */
    coreSpreadC: nonNegative,
  })
  .strict();

export const SocketThermalParams = z
  .object({
    /** Die to heatsink base (or cold-plate base): TIM and spreader. */
    dieToSinkCPerW: positive,
    dieHeatCapJPerK: positive,
    /** Heatsink or cold-plate thermal mass. */
    sinkHeatCapJPerK: positive,
  })
  .strict();

/** Heatsink convection Ψ(Q) = r0 + k·Q^−n with Q in CFM through one heatsink (Intel's 2U reference form). */
export const HeatsinkParams = z
  .object({
    r0CPerW: nonNegative,
    kCPerW: positive,
    exponentN: z.number().min(0.5).max(1.2),
    /** Share of the total chassis airflow that passes through all CPU heatsinks together. */
    flowFraction: fraction,
  })
  .strict();

export const FanParams = z
  .object({
    count: z.number().int().min(1).max(32),
    /** RPM at 100 %; per-fan values in maxRpmByFan override it (e.g. a blower beside front fans). */
    maxRpm: positive,
    maxRpmByFan: z.array(positive).optional(),
    /** Firmware floor: commands below it run the fan at it. */
    minPct: pct,
    /** Electrical power of one fan at 100 %; power follows the cube of speed. */
    maxPowerW: positive,
    /** Chassis airflow with every fan at 100 %. */
    totalCfmAt100: positive,
    /** First-order response time of a fan to a new command. */
    responseTauS: positive,
    /**
     * How much a socket's heatsink flow depends on the fans in front of it (0 = only on the chassis total,
     * 1 = only on its own fan group). Decides how much a single dead fan hurts the socket behind it.
     */
    socketLocality: fraction,
    /** Sound power level of the whole fan bank at 100 % (noise proxy: + 50·log10 speed). */
    noiseAt100Db: positive,
  })
  .strict();

export const PlatformParams = z
  .object({
    /** Memory, chipset, NICs, BMC, VRM losses at idle. */
    idleW: nonNegative,
    /** Added at full CPU utilisation (memory traffic, VRM losses). */
    loadW: nonNegative,
    /** Share of platform heat released upstream of the CPUs (pre-heats their air). */
    upstreamFraction: fraction,
  })
  .strict();

export const DriveParams = z
  .object({
    /** Kernel block device name (sda, nvme0n1) or the macOS disk name. */
    name: z.string().regex(/^[a-z][a-z0-9]*$/, "a block device name such as sda or nvme0n1"),
    kind: z.enum(["hdd", "ssd"]),
    idleW: nonNegative,
    /** Added at full throughput. */
    activeW: nonNegative,
    /** Throughput at which the drive is saturated. */
    maxMBps: positive,
    heatCapJPerK: positive,
    /** Drive-to-air resistance r0 + k·Q^−0.8 with Q the CFM over this drive. */
    r0CPerW: nonNegative,
    kCPerW: positive,
    /** Share of the chassis airflow that passes this drive. */
    flowFraction: fraction,
    /** Operating limit from the data sheet; informational for the controller. */
    limitC: positive,
  })
  .strict();

/** Direct liquid cooling: cold plates on the CPUs, a pumped loop, a CDU or radiator rejecting to the facility. */
export const LiquidParams = z
  .object({
    /** Cold plate to coolant at 1 L/min through that plate; scales with flow^−exponent. */
    coldPlateAt1LpmCPerW: positive,
    coldPlateFlowExponent: z.number().min(0.2).max(1),
    /** Thermal mass of the coolant in the loop. */
    coolantHeatCapJPerK: positive,
    /** Loop to facility (CDU heat exchanger or radiator). */
    radiatorCPerW: positive,
    /** Facility water (or radiator air) temperature relative to the server inlet air. */
    facilityOffsetC: z.number().min(-20).max(20),
    /** Loop flow at 100 % pump speed, shared equally by the cold plates (parallel branches). */
    maxFlowLpm: positive,
    /** Pump power at 100 %; cube law in speed. */
    pumpMaxPowerW: positive,
    /** Share of pump power that ends up as heat in the coolant. */
    pumpHeatFraction: fraction,
    pumpMinPct: pct,
    pumpMaxRpm: positive,
    pumpResponseTauS: positive,
    /** Pump speed the CDU holds in its automatic mode. */
    firmwarePumpPct: pct,
  })
  .strict();

export const SensorParams = z
  .object({
    /** Standard deviation of reading noise. */
    noiseC: nonNegative,
    /** First-order sensor lag. */
    lagS: nonNegative,
    /** Reading resolution. */
    quantC: positive,
  })
  .strict();

const curvePoint = z.tuple([z.number().min(-40).max(150), pct]);

export const HostProfileSchema = z
  .object({
    id: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and dashes"),
    description: z.string().min(1),
    coolingKind: z.enum(["air", "liquid"]),
    sockets: z.number().int().min(1).max(8),
    coresPerSocket: z.number().int().min(1).max(256),
    /** Logical CPUs (with SMT), for /proc/stat. */
    cpuCount: z.number().int().min(1).max(4096),
    tjMaxC: z.number().min(60).max(130),
    cpu: CpuParams,
    socket: SocketThermalParams,
    heatsink: HeatsinkParams.optional(),
    fans: FanParams,
    platform: PlatformParams,
    drives: z.array(DriveParams),
    liquid: LiquidParams.optional(),
    /** [die °C, fan %] steps the BMC/SMC applies in automatic mode: the fan % of the highest step at or below the hottest die. */
    firmwareFanCurve: z.array(curvePoint).min(1),
    sensors: SensorParams,
  })
  .strict();

export type CpuParams = z.infer<typeof CpuParams>;
export type SocketThermalParams = z.infer<typeof SocketThermalParams>;
export type HeatsinkParams = z.infer<typeof HeatsinkParams>;
export type FanParams = z.infer<typeof FanParams>;
export type PlatformParams = z.infer<typeof PlatformParams>;
export type DriveParams = z.infer<typeof DriveParams>;
export type LiquidParams = z.infer<typeof LiquidParams>;
export type SensorParams = z.infer<typeof SensorParams>;
export type HostProfile = z.infer<typeof HostProfileSchema>;

/** A schema-valid profile can still be inconsistent: checks that need more than one key. Returns [key, problem]. */
export function profileProblems(profile: HostProfile): [string, string][] {
  const problems: [string, string][] = [];
  if (profile.coolingKind === "air" && !profile.heatsink) problems.push(["heatsink", "an air-cooled profile needs heatsink parameters"]);
  if (profile.coolingKind === "liquid" && !profile.liquid) problems.push(["liquid", "a liquid-cooled profile needs liquid-loop parameters"]);
  if (profile.coolingKind === "air" && profile.liquid) problems.push(["liquid", "an air-cooled profile must not have a liquid loop"]);
  if (profile.cpu.idleW > profile.cpu.maxW) problems.push(["cpu.idleW", `must not exceed cpu.maxW (${profile.cpu.maxW})`]);
  if (profile.cpuCount < profile.sockets * profile.coresPerSocket) {
    problems.push(["cpuCount", `must be at least sockets × coresPerSocket (${profile.sockets * profile.coresPerSocket})`]);
  }
  if (profile.fans.count < profile.sockets) problems.push(["fans.count", `must be at least the socket count (${profile.sockets})`]);
  const byFan = profile.fans.maxRpmByFan;
  if (byFan && byFan.length !== profile.fans.count) problems.push(["fans.maxRpmByFan", `needs one entry per fan (${profile.fans.count})`]);
  const names = profile.drives.map((d) => d.name);
  names.forEach((name, i) => {
    if (names.indexOf(name) !== i) problems.push([`drives[${i}].name`, `"${name}" is used twice`]);
  });
  const driveFlow = profile.drives.reduce((sum, d) => sum + d.flowFraction, 0);
  const sinkFlow = profile.heatsink?.flowFraction ?? 0;
  if (driveFlow + sinkFlow > 1) problems.push(["drives", `drive and heatsink flow fractions add up to ${(driveFlow + sinkFlow).toFixed(2)} of the airflow, more than all of it`]);
  const curve = profile.firmwareFanCurve;
  curve.forEach(([tempC, fanPct], i) => {
    const previous = curve[i - 1];
    if (previous && tempC <= previous[0]) problems.push([`firmwareFanCurve[${i}]`, `temperatures must rise from step to step (${previous[0]} then ${tempC})`]);
    if (previous && fanPct < previous[1]) problems.push([`firmwareFanCurve[${i}]`, `fan % must not fall as temperature rises (${previous[1]} then ${fanPct})`]);
    if (fanPct < profile.fans.minPct) problems.push([`firmwareFanCurve[${i}]`, `fan % ${fanPct} is below fans.minPct (${profile.fans.minPct})`]);
  });
  const liquid = profile.liquid;
  if (liquid && liquid.firmwarePumpPct < liquid.pumpMinPct) problems.push(["liquid.firmwarePumpPct", `must not be below liquid.pumpMinPct (${liquid.pumpMinPct})`]);
  return problems;
}
