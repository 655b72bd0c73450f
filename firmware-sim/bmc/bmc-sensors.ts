import type { SimSnapshot } from "../physics/types.js";
import type { LinearConversion } from "./sensor-conversion.js";

/** IPMI sensor types (table 42-3) and entity ids (table 43-13) the simulated BMC uses. */
export const SensorType = { Temperature: 0x01, Fan: 0x04 } as const;
export const EntityId = { Processor: 0x03, SystemBoard: 0x07 } as const;
/** Base unit codes (table 43-15). */
export const SensorUnit = { DegreesC: 1, Rpm: 18 } as const;

/** Thresholds in engineering units (°C, RPM); absent ones are not readable. */
export interface SensorThresholds {
  lnr?: number;
  lcr?: number;
  lnc?: number;
  unc?: number;
  ucr?: number;
  unr?: number;
}

/**
 * A switchable sensor fault:
 * - "disabled": scanning off, as iDRAC reports an empty CPU socket (ipmitool: `ns | … | Disabled`);
 * - "unavailable": reading-unavailable bit, as for a probe the BMC cannot read (`ns | … | No Reading`);
 * - "disconnected": the value a disconnected thermistor reads, −40 °C.
 */
export type BmcSensorFault = "disabled" | "unavailable" | "disconnected";

export const DISCONNECTED_PROBE_C = -40;

export interface BmcSensor {
  number: number;
  name: string;
  entityId: number;
  entityInstance: number;
  sensorType: number;
  unit: number;
  conversion: LinearConversion;
  thresholds: SensorThresholds;
  /** The true physical value this sensor measures. */
  read(snap: SimSnapshot): number;
}

/** Which generation's sensor names to present (see docs/ipmi.md for the real boards behind them). */
export type SensorNaming = "13g" | "11g";

export interface SensorTableShape {
  sockets: number;
  fans: number;
  tjMaxC: number;
}

const TEMP_CONVERSION: LinearConversion = { m: 1, b: 0, bExp: 0, rExp: 0, signed: true };
/** Dell reports fan speed in steps of 120 RPM. */
const FAN_CONVERSION: LinearConversion = { m: 120, b: 0, bExp: 0, rExp: 0, signed: false };

/**
 * The sensors an iDRAC exposes for a host shape, numbered the way Dell numbers them: CPU temperatures 0Eh/0Fh
 * ("Temp", entity 3.N), inlet 04h and exhaust 01h (entity 7.1), fans from 30h (entity 7.1).
 */
export function buildSensorTable(shape: SensorTableShape, naming: SensorNaming = "13g"): BmcSensor[] {
  const sensors: BmcSensor[] = [];
  const boardTemp = (number: number, name: string, thresholds: SensorThresholds, read: (s: SimSnapshot) => number): BmcSensor => ({
    number,
    name,
    entityId: EntityId.SystemBoard,
    entityInstance: 1,
    sensorType: SensorType.Temperature,
    unit: SensorUnit.DegreesC,
    conversion: TEMP_CONVERSION,
    thresholds,
    read,
  });
  if (naming === "13g") {
    sensors.push(boardTemp(0x01, "Exhaust Temp", { lcr: 3, lnc: 8, unc: 70, ucr: 75 }, (s) => s.exhaustC));
    sensors.push(boardTemp(0x04, "Inlet Temp", { lcr: -7, lnc: 3, unc: 42, ucr: 47 }, (s) => s.inletC));
  } else {
    // 11G boards have an ambient (inlet) and a planar sensor, no exhaust.
    sensors.push(boardTemp(0x0e, "Ambient Temp", { lcr: 3, lnc: 8, unc: 42, ucr: 47 }, (s) => s.inletC));
    sensors.push(boardTemp(0x0f, "Planar Temp", { lcr: 3, lnc: 8, unc: 80, ucr: 85 }, (s) => (s.inletC + s.exhaustC) / 2));
  }
  const cpuBase = naming === "13g" ? 0x0e : 0x01;
  for (let i = 0; i < shape.sockets; i++) {
    sensors.push({
      number: cpuBase + i,
      name: "Temp",
      entityId: EntityId.Processor,
      entityInstance: i + 1,
      sensorType: SensorType.Temperature,
      unit: SensorUnit.DegreesC,
      conversion: TEMP_CONVERSION,
      thresholds: { lcr: 3, lnc: 8, unc: shape.tjMaxC - 7, ucr: shape.tjMaxC - 2 },
      read: (s) => s.sockets[i]?.dieC ?? Number.NaN,
    });
  }
  for (let i = 0; i < shape.fans; i++) {
    sensors.push({
      number: 0x30 + i,
      name: naming === "13g" ? `Fan${i + 1} RPM` : `FAN ${i + 1} RPM`,
      entityId: EntityId.SystemBoard,
      entityInstance: 1,
      sensorType: SensorType.Fan,
      unit: SensorUnit.Rpm,
      conversion: FAN_CONVERSION,
      thresholds: { lcr: 600, lnc: 840 },
      read: (s) => s.fans[i]?.rpm ?? Number.NaN,
    });
  }
  return sensors;
}

/** "Temp@3.2" names a sensor by name and entity; a bare name matches every sensor of that name. */
export function matchSensors(sensors: readonly BmcSensor[], selector: string): BmcSensor[] {
  const at = selector.lastIndexOf("@");
  if (at < 0) return sensors.filter((s) => s.name === selector);
  const name = selector.slice(0, at);
  const entity = selector.slice(at + 1);
  return sensors.filter((s) => s.name === name && `${s.entityId}.${s.entityInstance}` === entity);
}
