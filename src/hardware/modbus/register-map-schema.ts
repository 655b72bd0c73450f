import { z } from "zod";

/**
 * The shape of a register map file (src/hardware/modbus/maps/*.json). Docs: docs/modbus.md.
 * Structural checks live here; cross-register checks (unique names, roles, modes) in register-map.ts.
 */

/** holding: read with 03, written with 06 or 16. input: read-only, read with 04. */
export const REGISTER_FUNCTIONS = ["holding", "input"] as const;
export type RegisterFunction = (typeof REGISTER_FUNCTIONS)[number];

export const REGISTER_KINDS = ["flow", "pump", "temperature", "power", "leak", "control", "status"] as const;
export type RegisterKind = (typeof REGISTER_KINDS)[number];

export const REGISTER_UNITS = ["C", "Lpm", "rpm", "pct", "W", "V", "A", "flags", "mode"] as const;
export type RegisterUnit = (typeof REGISTER_UNITS)[number];

/** What a register means to the binding and to the simulated CDU; the map's names are free. */
export const REGISTER_ROLES = [
  "mode",
  "pump_duty_setpoint",
  "target_flow",
  "target_temp",
  "flow",
  "coolant_supply_temp",
  "coolant_return_temp",
  "pump_pwm",
  "pump_rpm",
  "pump_voltage",
  "pump_current",
  "pump_power",
  "leak_flags",
  "fault_word",
] as const;
export type RegisterRole = (typeof REGISTER_ROLES)[number];

/** Roles a map has once per pump (with "pump": n); every other role appears at most once. */
export const PER_PUMP_ROLES: ReadonlySet<RegisterRole> = new Set(["pump_pwm", "pump_rpm", "pump_voltage", "pump_current", "pump_power"]);

/** The unit each role must carry, so a map cannot report a temperature in rpm. */
export const ROLE_UNITS: Readonly<Record<RegisterRole, RegisterUnit>> = {
  mode: "mode",
  pump_duty_setpoint: "pct",
  target_flow: "Lpm",
  target_temp: "C",
  flow: "Lpm",
  coolant_supply_temp: "C",
  coolant_return_temp: "C",
  pump_pwm: "pct",
  pump_rpm: "rpm",
  pump_voltage: "V",
  pump_current: "A",
  pump_power: "W",
  leak_flags: "flags",
  fault_word: "flags",
};

/** Units each kind may carry. */
export const KIND_UNITS: Readonly<Record<RegisterKind, readonly RegisterUnit[]>> = {
  flow: ["Lpm"],
  pump: ["pct", "rpm", "V", "A"],
  temperature: ["C"],
  power: ["W"],
  leak: ["flags"],
  control: ["mode", "pct", "Lpm", "C"],
  status: ["flags"],
};

const registerName = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, "1-48 of a-z 0-9 _, starting with a letter");

export const RegisterSchema = z
  .object({
    name: registerName,
    /** Protocol (0-based, PDU) address; mbpoll and most vendor tables count from 1. */
    address: z.number().int().min(0).max(65535),
    function: z.enum(REGISTER_FUNCTIONS),
    /** u16 or two's-complement s16; one register per value. */
    type: z.enum(["u16", "s16"]).default("u16"),
    /** Engineering value = raw × scale (0.1 for tenths of a degree). */
    scale: z.number().positive().finite().default(1),
    unit: z.enum(REGISTER_UNITS),
    kind: z.enum(REGISTER_KINDS),
    role: z.enum(REGISTER_ROLES).optional(),
    /** 1-based pump number, for the per-pump roles. */
    pump: z.number().int().min(1).max(16).optional(),
    writable: z.boolean().default(false),
    /** Function code for writes: 6 (single register) or 16 (multiple); some devices accept only 16. */
    writeFunction: z.union([z.literal(6), z.literal(16)]).default(6),
    /** Limits for writes, in engineering units; writes are clamped into them. */
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    /** Named raw values of a "mode" register. */
    values: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.number().int().min(0).max(65535)).optional(),
    /** Named bit numbers of a "flags" register. */
    bits: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/), z.number().int().min(0).max(15)).optional(),
    description: z.string().optional(),
  })
  .strict();
export type RegisterDef = z.infer<typeof RegisterSchema>;

export const SerialDefaultsSchema = z
  .object({
    unitId: z.number().int().min(1).max(247),
    baudRate: z.number().int().positive(),
    parity: z.enum(["none", "even", "odd"]),
    dataBits: z.union([z.literal(7), z.literal(8)]).default(8),
    stopBits: z.union([z.literal(1), z.literal(2)]).default(1),
  })
  .strict();
export type SerialDefaults = z.infer<typeof SerialDefaultsSchema>;

export const ControlSchema = z
  .object({
    /** Name (in the mode register's values) of the mode in which the host's duty set-point drives the pumps. */
    manualMode: z.string(),
    /** Mode put back when the mode found at takeControl was already manual (a previous agent died holding it). */
    autoMode: z.string(),
  })
  .strict();

export const RegisterMapSchema = z
  .object({
    $comment: z.string().optional(),
    name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "lower-case letters, digits and -"),
    description: z.string().optional(),
    serial: SerialDefaultsSchema,
    /**
     * Unmapped registers a block read may span. 0 (default) reads only contiguous runs: many devices answer a read
     * touching an unmapped address with exception 02.
     */
    maxReadGap: z.number().int().min(0).max(32).default(0),
    /** Registers per read request (the protocol allows 125). */
    maxReadCount: z.number().int().min(1).max(125).default(32),
    control: ControlSchema.optional(),
    registers: z.array(RegisterSchema).min(1),
  })
  .strict();
export type RegisterMapData = z.infer<typeof RegisterMapSchema>;
