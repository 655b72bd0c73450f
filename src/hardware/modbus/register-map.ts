import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import {
  KIND_UNITS,
  PER_PUMP_ROLES,
  RegisterMapSchema,
  ROLE_UNITS,
  type RegisterDef,
  type RegisterMapData,
  type RegisterRole,
  type SerialDefaults,
} from "./register-map-schema.js";
import { rawRange } from "./scaling.js";

/** A validated register map with lookups by name and by role. */
export class RegisterMap {
  readonly name: string;
  readonly description: string | undefined;
  readonly serial: SerialDefaults;
  readonly maxReadGap: number;
  readonly maxReadCount: number;
  readonly control: RegisterMapData["control"];
  readonly registers: readonly RegisterDef[];
  private readonly names: ReadonlyMap<string, RegisterDef>;

  constructor(data: RegisterMapData) {
    this.name = data.name;
    this.description = data.description;
    this.serial = data.serial;
    this.maxReadGap = data.maxReadGap;
    this.maxReadCount = data.maxReadCount;
    this.control = data.control;
    this.registers = data.registers;
    this.names = new Map(data.registers.map((r) => [r.name, r]));
  }

  byName(name: string): RegisterDef | undefined {
    return this.names.get(name);
  }

  byRole(role: RegisterRole, pump?: number): RegisterDef | undefined {
    return this.registers.find((r) => r.role === role && (pump === undefined || r.pump === pump));
  }

  /** Every register with a role (all pumps for the per-pump roles). */
  allByRole(role: RegisterRole): RegisterDef[] {
    return this.registers.filter((r) => r.role === role);
  }

  /** Pump numbers the map has registers for, ascending. */
  pumps(): number[] {
    return [...new Set(this.registers.flatMap((r) => (r.pump === undefined ? [] : [r.pump])))].sort((a, b) => a - b);
  }

  /** Raw value of a named mode of the mode register. */
  modeRaw(mode: string): number | undefined {
    return this.byRole("mode")?.values?.[mode];
  }

  /** Name of a raw mode value, if the map knows it. */
  modeName(raw: number): string | undefined {
    const values = this.byRole("mode")?.values ?? {};
    return Object.entries(values).find(([, v]) => v === raw)?.[0];
  }
}

function describeRegister(raw: unknown, index: number): string {
  const entry = Array.isArray(raw) ? (raw[index] as unknown) : undefined;
  const name = entry && typeof entry === "object" && "name" in entry && typeof entry.name === "string" ? entry.name : undefined;
  return name ? `register "${name}" (registers[${index}])` : `registers[${index}]`;
}

function formatIssuePath(path: readonly PropertyKey[], raw: unknown): string {
  const registers = raw && typeof raw === "object" && "registers" in raw ? raw.registers : undefined;
  if (path[0] === "registers" && typeof path[1] === "number") {
    const rest = path.slice(2).map(String).join(".");
    return `${describeRegister(registers, path[1])}${rest ? `.${rest}` : ""}`;
  }
  return path.map(String).join(".") || "(top level)";
}

function where(r: RegisterDef): string {
  return `register "${r.name}" (${r.function} ${r.address})`;
}

/** Cross-register checks; each problem names the register it is about. */
export function registerMapProblems(data: RegisterMapData): string[] {
  const problems: string[] = [];
  const seenNames = new Set<string>();
  const seenAddresses = new Map<string, string>();
  const seenRoles = new Map<string, string>();
  for (const r of data.registers) {
    if (seenNames.has(r.name)) problems.push(`register "${r.name}": the name is used twice`);
    seenNames.add(r.name);
    const slot = `${r.function} ${r.address}`;
    const other = seenAddresses.get(slot);
    if (other) problems.push(`${where(r)}: address already used by "${other}"`);
    seenAddresses.set(slot, r.name);
    if (r.writable && r.function !== "holding") problems.push(`${where(r)}: writable registers must be holding registers, not ${r.function}`);
    if (!KIND_UNITS[r.kind].includes(r.unit)) problems.push(`${where(r)}: kind "${r.kind}" takes unit ${KIND_UNITS[r.kind].join(" or ")}, not "${r.unit}"`);
    if (r.values && r.unit !== "mode") problems.push(`${where(r)}: "values" belongs on a register with unit "mode"`);
    if (r.bits && r.unit !== "flags") problems.push(`${where(r)}: "bits" belongs on a register with unit "flags"`);
    if (r.unit === "mode" && (!r.values || Object.keys(r.values).length === 0)) problems.push(`${where(r)}: a mode register needs "values"`);
    if (r.min !== undefined && r.max !== undefined && r.min > r.max) problems.push(`${where(r)}: min ${r.min} is above max ${r.max}`);
    const { minValue, maxValue } = rawRange(r);
    for (const limit of [r.min, r.max]) {
      if (limit !== undefined && (limit < minValue || limit > maxValue)) {
        problems.push(`${where(r)}: limit ${limit} cannot be represented (${r.type} × ${r.scale} spans ${minValue}..${maxValue})`);
      }
    }
    if (r.role) {
      const perPump = PER_PUMP_ROLES.has(r.role);
      if (ROLE_UNITS[r.role] !== r.unit) problems.push(`${where(r)}: role "${r.role}" takes unit "${ROLE_UNITS[r.role]}", not "${r.unit}"`);
      if (perPump && r.pump === undefined) problems.push(`${where(r)}: role "${r.role}" is per pump and needs "pump": <n>`);
      if (!perPump && r.pump !== undefined) problems.push(`${where(r)}: role "${r.role}" is not per pump; drop "pump"`);
      const roleKey = perPump ? `${r.role}#${r.pump ?? "?"}` : r.role;
      const holder = seenRoles.get(roleKey);
      if (holder) problems.push(`${where(r)}: role "${r.role}"${perPump ? ` for pump ${r.pump}` : ""} already taken by "${holder}"`);
      seenRoles.set(roleKey, r.name);
    }
  }
  if (data.control) problems.push(...controlProblems(data));
  return problems;
}

function controlProblems(data: RegisterMapData): string[] {
  const problems: string[] = [];
  const control = data.control;
  if (!control) return problems;
  const mode = data.registers.find((r) => r.role === "mode");
  const duty = data.registers.find((r) => r.role === "pump_duty_setpoint");
  if (!mode) problems.push(`control: needs a register with role "mode"`);
  else {
    if (!mode.writable) problems.push(`control: ${where(mode)} must be writable`);
    for (const [key, modeName] of [["manualMode", control.manualMode], ["autoMode", control.autoMode]] as const) {
      if (mode.values?.[modeName] === undefined) {
        problems.push(`control.${key}: "${modeName}" is not one of ${where(mode)}'s values (${Object.keys(mode.values ?? {}).join(", ")})`);
      }
    }
  }
  if (!duty) problems.push(`control: needs a register with role "pump_duty_setpoint"`);
  else if (!duty.writable) problems.push(`control: ${where(duty)} must be writable`);
  return problems;
}

/** Validates parsed JSON as a register map; throws ConfigInvalid naming the map (source) and the register. */
export function parseRegisterMap(source: string, raw: unknown): RegisterMap {
  const result = RegisterMapSchema.safeParse(raw);
  if (!result.success) {
    const details = result.error.issues.map((issue) => `${formatIssuePath(issue.path, raw)}: ${issue.message}`);
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `register map ${source}: ${details.join("; ")}`);
  }
  const problems = registerMapProblems(result.data);
  if (problems.length > 0) throw new CoolfleetError(ErrorCode.ConfigInvalid, `register map ${source}: ${problems.join("; ")}`);
  return new RegisterMap(result.data);
}
