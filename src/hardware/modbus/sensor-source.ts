import type { ReadingKind, ReadingUnit } from "../../protocol/index.js";
import type { RawReading, SensorSource } from "../binding.js";
import type { FlagsStatus, ModbusDevice } from "./device.js";
import type { RegisterDef, RegisterKind, RegisterUnit } from "./register-map-schema.js";

const READING_KIND: Partial<Record<RegisterKind, ReadingKind>> = { temperature: "temperature", flow: "flow", power: "power", pump: "pump" };
const READING_UNIT: Partial<Record<RegisterUnit, ReadingUnit>> = { C: "C", Lpm: "Lpm", W: "W", rpm: "rpm", pct: "pct" };

export interface ModbusReadingDescriptor {
  id: string;
  kind: ReadingKind;
  unit: ReadingUnit;
  register: RegisterDef;
}

/**
 * The registers telemetry can carry: measured temperatures, flow, power and pump speed. Set-points and modes
 * (kind control), flags (leak, status) and units the protocol lacks (V, A) are left out; leaks go through leak().
 */
export function reportableRegisters(device: ModbusDevice): ModbusReadingDescriptor[] {
  return device.map.registers.flatMap((register) => {
    const kind = READING_KIND[register.kind];
    const unit = READING_UNIT[register.unit];
    return kind && unit ? [{ id: `${device.name}:${register.name}`, kind, unit, register }] : [];
  });
}

/**
 * A Modbus device's readings from its poll cache: sweep() never touches the serial line. Values keep the time they
 * were sampled, so the agent's plausibility check marks them stale when polls fail; while the port is gone they
 * read null.
 */
export class ModbusSensorSource implements SensorSource {
  readonly name: string;
  private readonly descriptors: ModbusReadingDescriptor[];

  constructor(private readonly device: ModbusDevice) {
    this.name = `modbus:${device.name}`;
    this.descriptors = reportableRegisters(device);
  }

  manifest(): { id: string; kind: ReadingKind; unit: ReadingUnit }[] {
    return this.descriptors.map(({ id, kind, unit }) => ({ id, kind, unit }));
  }

  sweep(nowMs: number): RawReading[] {
    const linkState = this.device.linkState();
    const downSinceMs = this.device.disconnectedSinceMs();
    return this.descriptors.map(({ id, kind, unit, register }) => {
      if (linkState !== "connected") {
        const since = downSinceMs === undefined ? "" : ` for ${Math.round((nowMs - downSinceMs) / 1000)} s`;
        return { id, kind, unit, value: null, sampledAtMs: nowMs, error: `modbus link ${linkState}${since}` };
      }
      const cached = this.device.value(register.name);
      if (!cached) return { id, kind, unit, value: null, sampledAtMs: nowMs, error: "not read yet" };
      return { id, kind, unit, value: cached.value, sampledAtMs: cached.sampledAtMs };
    });
  }

  /**
   * Leak flags, outside the readings because protocol v1's ReadingKind has no place for them. undefined means
   * unknown (no leak register in the map, not read yet, or the link is down) — not "no leak".
   */
  leak(): FlagsStatus | undefined {
    return this.device.flags("leak_flags");
  }

  /** true: a leak bit is set; false: the register reads clear; undefined: unknown (see leak()). */
  leakDetected(): boolean | undefined {
    const leak = this.leak();
    return leak === undefined ? undefined : leak.raw !== 0;
  }

  /** The device's fault word, decoded, when the map has one. */
  faults(): FlagsStatus | undefined {
    return this.device.flags("fault_word");
  }
}
