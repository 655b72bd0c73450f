import { z } from "zod";
import { HOST_ID_PATTERN, SensorRole } from "../protocol/index.js";

/** The agent's config schema: the single place for its defaults. Docs: docs/configuration.md. */
export const AGENT_CONFIG_VERSION = 1;

const pct = z.number().min(0).max(100);
const positiveMs = z.number().int().positive();

export const BrokerConfig = z
  .object({
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, "an mqtt://, mqtts://, ws:// or wss:// URL").default("mqtt://127.0.0.1:1883"),
    clientId: z.string().min(1).max(128).optional(),
    username: z.string().min(1).optional(),
    /** The password is read from this file, never written in the config. */
    passwordFile: z.string().min(1).optional(),
    /** 4 = MQTT 3.1.1 (works with any broker), 5 = MQTT 5. */
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
    keepaliveS: z.number().int().min(5).max(600).default(30),
    reconnectMinMs: positiveMs.default(1000),
    reconnectMaxMs: positiveMs.default(30_000),
    /** Telemetry messages held in memory while the broker is unreachable; the oldest are dropped (and counted) first. */
    queueMax: z.number().int().min(1).max(1_000_000).default(3600),
  })
  .strict();

export const TemperatureLimit = z
  .object({
    /** Glob on sensor ids ("*" matches any run of characters), e.g. "coretemp.*:Package id *". */
    match: z.string().min(1),
    role: SensorRole,
    /** Control target: local control and the planner keep the sensor at or below it. */
    targetC: z.number().min(0).max(150),
    /** At or above this the governor forces full cooling. */
    criticalC: z.number().min(0).max(150),
    /** A bad reading on a required sensor puts the outputs at the failsafe level. */
    required: z.boolean().default(false),
  })
  .strict();
export type TemperatureLimit = z.infer<typeof TemperatureLimit>;

export const PlausibilityConfig = z
  .object({
    temperatureMinC: z.number().default(-10),
    temperatureMaxC: z.number().default(125),
    fanMaxRpm: z.number().positive().default(30_000),
    /** A temperature moving faster than this is an impossible rate (a spike), not physics. */
    maxRateCPerS: z.number().positive().default(20),
    /** A value unchanged this long while its peers or the CPU load moved is stuck. */
    stuckAfterS: z.number().positive().default(20),
    /** A reading older than this is stale (slow sources such as IPMI). */
    staleAfterS: z.number().positive().default(10),
  })
  .strict();
export type PlausibilityConfig = z.infer<typeof PlausibilityConfig>;

export const ActuatorGroupConfig = z
  .object({
    /** hwmon chip name, as in /sys/class/hwmon/hwmon* /name. */
    chip: z.string().min(1),
    /** Optional substring of the chip's device path, to tell apart two chips of the same name. */
    device: z.string().min(1).optional(),
    /** pwm channel numbers on that chip (pwm1 → 1). */
    channels: z.array(z.number().int().min(1).max(32)).min(1),
    minPct: pct.default(20),
    maxPct: pct.default(100),
    /** Output while a required sensor is bad. */
    failsafePct: pct.default(100),
    /** Slew limits; raising is allowed faster than lowering. */
    upSlewPctPerS: z.number().positive().default(25),
    downSlewPctPerS: z.number().positive().default(5),
    /** Sensor roles this group cools; local control tracks the worst of them. */
    roles: z.array(SensorRole).min(1).default(["cpu", "drive"]),
  })
  .strict();
export type ActuatorGroupConfig = z.infer<typeof ActuatorGroupConfig>;

export const PidConfig = z
  .object({
    kp: z.number().nonnegative().default(4),
    ki: z.number().nonnegative().default(0.15),
    kd: z.number().nonnegative().default(0),
  })
  .strict();
export type PidConfig = z.infer<typeof PidConfig>;

export const ControlConfig = z
  .object({
    pid: PidConfig.default({ kp: 4, ki: 0.15, kd: 0 }),
    /** The over-temperature override ends once every sensor is this far below its critical level... */
    hysteresisC: z.number().nonnegative().default(3),
    /** ...and has stayed there this long. */
    overrideHoldS: z.number().nonnegative().default(15),
  })
  .strict();

export const AgentConfig = z
  .object({
    version: z.literal(AGENT_CONFIG_VERSION),
    /** Defaults to the machine's hostname (must be a valid host id). */
    hostId: z.string().regex(HOST_ID_PATTERN, "1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit").optional(),
    /** Filesystem root under which /sys and /proc are read: "/" in production, a simulated tree in tests. */
    root: z.string().min(1).default("/"),
    periodMs: z.number().int().min(100).max(60_000).default(1000),
    /** The longest a controller command is honoured after it arrives, whatever its expiresAt. */
    maxLeaseMs: z.number().int().min(1000).max(600_000).default(30_000),
    broker: BrokerConfig.default(BrokerConfig.parse({})),
    temperatures: z.array(TemperatureLimit).min(1),
    plausibility: PlausibilityConfig.default(PlausibilityConfig.parse({})),
    fans: ActuatorGroupConfig,
    pump: ActuatorGroupConfig.optional(),
    control: ControlConfig.default(ControlConfig.parse({})),
  })
  .strict();
export type AgentConfig = z.infer<typeof AgentConfig>;
