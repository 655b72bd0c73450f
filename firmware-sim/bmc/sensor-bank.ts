import type { SimSnapshot } from "../physics/types.js";
import { DISCONNECTED_PROBE_C, EntityId, matchSensors, type BmcSensor, type BmcSensorFault } from "./bmc-sensors.js";
import { CompletionCode, fail, ok, type CommandResult } from "./completion-codes.js";
import { THRESHOLD_ORDER, thresholdMask } from "./sdr-records.js";
import { rawOrdinal, rawToValue, valueToRaw } from "./sensor-conversion.js";

/** Get Sensor Reading byte 2: event messages enabled (bit 7), scanning enabled (bit 6), reading unavailable (bit 5). */
const EVENTS_ENABLED = 0x80;
const SCANNING_ENABLED = 0x40;
const READING_UNAVAILABLE = 0x20;
/** Byte 4 of a threshold sensor's reading: reserved, returned as 80h. */
const THRESHOLD_BYTE4 = 0x80;

/** The sensors as the BMC reads them: quantised to raw bytes, with switchable faults. */
export class SensorBank {
  private readonly byNumber = new Map<number, BmcSensor>();
  private readonly faults = new Map<number, BmcSensorFault>();

  constructor(
    readonly sensors: readonly BmcSensor[],
    private snapshot: SimSnapshot,
  ) {
    for (const s of sensors) this.byNumber.set(s.number, s);
  }

  update(snapshot: SimSnapshot): void {
    this.snapshot = snapshot;
  }

  /** Sets (or with undefined clears) a fault on every sensor the selector names; returns their names. */
  setFault(selector: string, fault: BmcSensorFault | undefined): string[] {
    const matched = matchSensors(this.sensors, selector);
    for (const s of matched) {
      if (fault) this.faults.set(s.number, fault);
      else this.faults.delete(s.number);
    }
    return matched.map((s) => `${s.name}@${s.entityId}.${s.entityInstance}`);
  }

  faultOf(sensor: BmcSensor): BmcSensorFault | undefined {
    return this.faults.get(sensor.number);
  }

  /** The value ipmitool will print for a sensor (after quantisation), or null when it prints none. */
  displayedValue(sensor: BmcSensor): number | null {
    const raw = this.rawOf(sensor);
    return raw === undefined ? null : rawToValue(sensor.conversion, raw);
  }

  /** Hottest readable CPU temperature: what the firmware's fan curve follows. Empty or failed sockets are skipped. */
  hottestCpuC(): number {
    let hottest = -Infinity;
    for (const s of this.sensors) {
      if (s.entityId !== EntityId.Processor) continue;
      const fault = this.faults.get(s.number);
      if (fault === "disabled" || fault === "unavailable") continue;
      hottest = Math.max(hottest, fault === "disconnected" ? DISCONNECTED_PROBE_C : s.read(this.snapshot));
    }
    return Number.isFinite(hottest) ? hottest : 0;
  }

  /** Get Sensor Reading (35.14). */
  reading(data: Buffer): CommandResult {
    const sensor = this.sensorFor(data);
    if (!sensor) return fail(data.length < 1 ? CompletionCode.RequestDataLengthInvalid : CompletionCode.NotPresent);
    const fault = this.faults.get(sensor.number);
    if (fault === "disabled") return ok([0x00, EVENTS_ENABLED, 0x00, THRESHOLD_BYTE4]);
    const raw = this.rawOf(sensor);
    if (raw === undefined) return ok([0x00, EVENTS_ENABLED | SCANNING_ENABLED | READING_UNAVAILABLE, 0x00, THRESHOLD_BYTE4]);
    return ok([raw, EVENTS_ENABLED | SCANNING_ENABLED, this.thresholdStatus(sensor, raw), THRESHOLD_BYTE4]);
  }

  /** Get Sensor Thresholds (35.9): readable mask, then LNC, LCR, LNR, UNC, UCR, UNR as raw bytes. */
  thresholds(data: Buffer): CommandResult {
    const sensor = this.sensorFor(data);
    if (!sensor) return fail(data.length < 1 ? CompletionCode.RequestDataLengthInvalid : CompletionCode.NotPresent);
    const values = THRESHOLD_ORDER.map((key) => {
      const v = sensor.thresholds[key];
      return v === undefined ? 0 : valueToRaw(sensor.conversion, v);
    });
    return ok([thresholdMask(sensor.thresholds), ...values]);
  }

  /** Get Sensor Hysteresis (35.7). */
  hysteresis(data: Buffer): CommandResult {
    const sensor = this.sensorFor(data);
    if (!sensor) return fail(data.length < 1 ? CompletionCode.RequestDataLengthInvalid : CompletionCode.NotPresent);
    return ok([0x01, 0x01]);
  }

  private sensorFor(data: Buffer): BmcSensor | undefined {
    return data.length < 1 ? undefined : this.byNumber.get(data.readUInt8(0));
  }

  private rawOf(sensor: BmcSensor): number | undefined {
    const fault = this.faults.get(sensor.number);
    if (fault === "disabled" || fault === "unavailable") return undefined;
    const value = fault === "disconnected" ? DISCONNECTED_PROBE_C : sensor.read(this.snapshot);
    return Number.isFinite(value) ? valueToRaw(sensor.conversion, value) : undefined;
  }

  /** Comparison status bits: at or below LNC/LCR/LNR (bits 0–2), at or above UNC/UCR/UNR (bits 3–5). */
  private thresholdStatus(sensor: BmcSensor, raw: number): number {
    const x = rawOrdinal(sensor.conversion, raw);
    let status = 0;
    THRESHOLD_ORDER.forEach((key, bit) => {
      const limit = sensor.thresholds[key];
      if (limit === undefined) return;
      const t = rawOrdinal(sensor.conversion, valueToRaw(sensor.conversion, limit));
      if (bit < 3 ? x <= t : x >= t) status |= 1 << bit;
    });
    return status;
  }
}
