import { z } from "zod";
import { HOST_ID_PATTERN } from "./topics.js";

/** Every message carries v; a receiver rejects versions it does not know. */
export const PROTOCOL_VERSION = 1;

const hostId = z.string().regex(HOST_ID_PATTERN, "host id: 1-64 of A-Z a-z 0-9 . _ -");
const epochMs = z.number().int().nonnegative();
const pct = z.number().min(0).max(100);

export const READING_KINDS = ["temperature", "fan", "pwm", "load", "disk", "flow", "pump", "power"] as const;
export const ReadingKind = z.enum(READING_KINDS);
export type ReadingKind = z.infer<typeof ReadingKind>;

export const READING_UNITS = ["C", "rpm", "pct", "MBps", "Lpm", "W"] as const;
export const ReadingUnit = z.enum(READING_UNITS);
export type ReadingUnit = z.infer<typeof ReadingUnit>;

/** ok, or why the agent does not trust the value. */
export const READING_QUALITIES = ["ok", "missing", "stale", "stuck", "out_of_range", "rate"] as const;
export const ReadingQuality = z.enum(READING_QUALITIES);
export type ReadingQuality = z.infer<typeof ReadingQuality>;

export const Reading = z.object({
  id: z.string().min(1).max(128),
  kind: ReadingKind,
  value: z.number().finite().nullable(),
  unit: ReadingUnit,
  quality: ReadingQuality,
});
export type Reading = z.infer<typeof Reading>;

/** Who decided the outputs this period. */
export const CONTROL_MODES = ["local", "remote", "failsafe", "override"] as const;
export const ControlMode = z.enum(CONTROL_MODES);
export type ControlMode = z.infer<typeof ControlMode>;

export const Outputs = z.object({
  fanPct: pct,
  pumpPct: pct.optional(),
});
export type Outputs = z.infer<typeof Outputs>;

export const CAPABILITY_TIERS = ["full", "floor", "monitor"] as const;
export const CapabilityTier = z.enum(CAPABILITY_TIERS);
export type CapabilityTier = z.infer<typeof CapabilityTier>;

/**
 * Conditions the agent detected and acts on by itself; reported while they last.
 * - fan_failure: a fan's measured speed stays far below what it was commanded (the others are boosted);
 * - pump_failure: a pump's measured speed or the coolant flow stays far below what it was commanded;
 * - leak: a leak sensor (e.g. a CDU's leak register) reports liquid;
 * - cannot_cool: a required temperature stays over its critical limit with every actuator at its maximum;
 * - last_resort: the configured last-resort action ran;
 * - actuator_unreachable: an actuator group could not be written (a silent BMC, a serial port gone); the hardware
 *   keeps its last setting or falls back to its own automatic mode.
 */
export const ALARM_KINDS = ["fan_failure", "pump_failure", "leak", "cannot_cool", "last_resort", "actuator_unreachable"] as const;
export const AlarmKind = z.enum(ALARM_KINDS);
export type AlarmKind = z.infer<typeof AlarmKind>;

export const Alarm = z.object({
  kind: AlarmKind,
  /** The sensor, actuator channel or device the alarm is about. */
  source: z.string().min(1).max(128),
  /** When the agent first raised it (this boot). */
  sinceMs: epochMs,
});
export type Alarm = z.infer<typeof Alarm>;

export const Telemetry = z.object({
  v: z.literal(PROTOCOL_VERSION),
  host: hostId,
  boot: z.string().min(8).max(64),
  seq: z.number().int().nonnegative(),
  ts: epochMs,
  periodMs: z.number().int().positive(),
  mode: ControlMode,
  outputs: Outputs,
  /** seq of the controller command in force, if any. */
  cmdSeq: z.number().int().nonnegative().optional(),
  /** Telemetry messages this agent boot dropped from its queue while the broker was away. */
  dropped: z.number().int().nonnegative(),
  /** What the agent may do with each actuator group right now (a BMC may refuse manual fan control). */
  tiers: z.object({ fans: CapabilityTier, pump: CapabilityTier.optional() }).optional(),
  /** Active alarms; absent or empty when there are none. */
  alarms: z.array(Alarm).max(64).optional(),
  /**
   * true when the message was held in the agent's outbox while the broker was away and is sent late:
   * the controller stores it but does not plan on it.
   */
  historical: z.literal(true).optional(),
  readings: z.array(Reading).max(512),
});
export type Telemetry = z.infer<typeof Telemetry>;

export const SensorRole = z.enum(["cpu", "drive", "inlet", "exhaust", "coolant", "other"]);
export type SensorRole = z.infer<typeof SensorRole>;

export const SensorManifestEntry = z.object({
  id: z.string().min(1).max(128),
  kind: ReadingKind,
  unit: ReadingUnit,
  role: SensorRole.optional(),
  targetC: z.number().optional(),
  criticalC: z.number().optional(),
  required: z.boolean().optional(),
});
export type SensorManifestEntry = z.infer<typeof SensorManifestEntry>;

const ActuatorCapability = z.object({
  channels: z.number().int().nonnegative(),
  tier: CapabilityTier,
  minPct: pct,
  maxPct: pct,
  /** The sensor roles the group cools (its config's `roles`); absent from older agents. */
  roles: z.array(SensorRole).min(1).max(SensorRole.options.length).optional(),
  /** Electrical power of the whole group at 100 %, W (its config's `maxPowerW`): the planner's cost of cooling. */
  maxPowerW: z.number().positive().max(10_000).optional(),
});

/** Static (leakage) power of all CPU sockets together at 85 °C die, and the rise that doubles it. */
export const CpuLeakage = z.object({
  at85W: z.number().positive().max(5_000),
  doublingK: z.number().min(1).max(100),
});
export type CpuLeakage = z.infer<typeof CpuLeakage>;

export const Capabilities = z.object({
  fans: ActuatorCapability,
  pump: ActuatorCapability.optional(),
  /** Longest command lease the agent honours, whatever expiresAt says. */
  maxLeaseMs: z.number().int().positive(),
  /** The CPUs' leakage (its config's `cpuLeakage`): what the planner saves by running the dies cooler. */
  cpuLeakage: CpuLeakage.optional(),
});
export type Capabilities = z.infer<typeof Capabilities>;

/** Retained on coolfleet/v1/<host>/state: birth when online, Last Will or clean shutdown when not. */
export const HostState = z.discriminatedUnion("online", [
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    host: hostId,
    boot: z.string().min(8).max(64),
    online: z.literal(true),
    ts: epochMs,
    agentVersion: z.string(),
    periodMs: z.number().int().positive(),
    sensors: z.array(SensorManifestEntry).max(512),
    capabilities: Capabilities,
    inventory: z.record(z.string(), z.string()).optional(),
  }),
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    host: hostId,
    boot: z.string().min(8).max(64),
    online: z.literal(false),
    ts: epochMs,
    reason: z.enum(["shutdown", "lost"]),
  }),
]);
export type HostState = z.infer<typeof HostState>;
export type HostBirth = Extract<HostState, { online: true }>;

export const Setpoints = z
  .object({ fanPct: pct.optional(), pumpPct: pct.optional() })
  .refine((s) => s.fanPct !== undefined || s.pumpPct !== undefined, "a command needs fanPct or pumpPct");
export type Setpoints = z.infer<typeof Setpoints>;

export const Command = z
  .object({
    v: z.literal(PROTOCOL_VERSION),
    id: z.string().min(1).max(64),
    host: hostId,
    seq: z.number().int().nonnegative(),
    issuedAt: epochMs,
    expiresAt: epochMs,
    setpoints: Setpoints,
  })
  .refine((c) => c.expiresAt > c.issuedAt, "expiresAt must be after issuedAt");
export type Command = z.infer<typeof Command>;

export const ACK_STATUSES = ["applied", "rejected", "expired", "superseded"] as const;
export const AckStatus = z.enum(ACK_STATUSES);
export type AckStatus = z.infer<typeof AckStatus>;

export const Ack = z.object({
  v: z.literal(PROTOCOL_VERSION),
  host: hostId,
  boot: z.string().min(8).max(64),
  cmdId: z.string().min(1).max(64),
  seq: z.number().int().nonnegative(),
  status: AckStatus,
  reason: z.string().max(200).optional(),
  ts: epochMs,
  /** What the governor let through, when it differs from the command. */
  applied: Outputs.partial().optional(),
});
export type Ack = z.infer<typeof Ack>;
