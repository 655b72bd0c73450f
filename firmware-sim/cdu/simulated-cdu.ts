import type { Clock } from "../../src/core/clock.js";
import type { Logger } from "../../src/core/logger.js";
import type { RegisterMap } from "../../src/hardware/modbus/register-map.js";
import type { RegisterDef } from "../../src/hardware/modbus/register-map-schema.js";
import { rawToValue, valueToRaw } from "../../src/hardware/modbus/scaling.js";
import type { LiquidLoopState, SimInputs, SimSnapshot } from "../physics/types.js";
import { CduFirmware, DEFAULT_MODE_BEHAVIOURS, type CduBehaviour } from "./cdu-firmware.js";
import type { RegisterTable } from "./register-slave.js";
import { ModbusException } from "./rtu-frame.js";
import { RtuSlavePort, type LinkFault, type RtuSlaveStats } from "./rtu-slave-port.js";

/** What the CDU needs from the physics: a liquid-cooled host (SimHost satisfies it). */
export interface LiquidPhysics {
  readonly hostId: string;
  step(dtS: number, inputs: SimInputs): void;
  snapshot(): SimSnapshot;
  setPumpDegraded(fraction: number): void;
}

/** Everything a physics step needs except the pump command, which is the CDU's. */
export type HostInputs = Omit<SimInputs, "pumpCmdPct">;

export interface SimulatedCduOptions {
  map: RegisterMap;
  physics: LiquidPhysics;
  /** Drives the manual-mode lease. */
  clock: Clock;
  /** The host's load, inlet and fans at simulated time tS. Default: half load, 25 °C inlet, fans at 40 %. */
  inputs?: (tS: number) => HostInputs;
  /** Manual mode lapses to automatic when the duty set-point is not renewed for this long. Default 30. */
  leaseS?: number;
  /** Default: the map's control.autoMode. */
  autoMode?: string;
  /** Behaviour per mode name; defaults cover the built-in maps. */
  modeBehaviours?: Readonly<Record<string, CduBehaviour>>;
  /** Duty of the default_duty behaviour and the centre of hold_temp. Default 60. */
  defaultDutyPct?: number;
  targetTempC?: number;
  targetFlowLpm?: number;
  /** Pump supply voltage reported in the voltage registers. Default 24. */
  pumpSupplyV?: number;
  logger?: Logger;
}

const DEFAULT_INPUTS: HostInputs = { cpuUtil: 0.5, diskMBps: 0, inletC: 25, fanCmdPct: [40] };

/**
 * A coolant distribution unit as a Modbus RTU slave: it serves the register map from the liquid loop of a simulated
 * host, its duty drives the host's pump, and it keeps its own automatic mode. Faults: leak flags, a degraded pump,
 * and (on the wire) corrupt or missing answers.
 */
export class SimulatedCdu implements RegisterTable {
  readonly map: RegisterMap;
  readonly unitId: number;
  readonly firmware: CduFirmware;
  private readonly physics: LiquidPhysics;
  private readonly inputs: (tS: number) => HostInputs;
  private readonly pumpCount: number;
  private readonly pumpSupplyV: number;
  private readonly holding = new Map<number, RegisterDef>();
  private readonly input = new Map<number, RegisterDef>();
  private readonly slave: RtuSlavePort;
  private current: SimSnapshot;
  private lastCmdPct: number;
  private leakBits = 0;
  private faultBits = 0;
  private timeS = 0;

  constructor(opts: SimulatedCduOptions) {
    this.map = opts.map;
    this.unitId = opts.map.serial.unitId;
    this.physics = opts.physics;
    this.inputs = opts.inputs ?? (() => DEFAULT_INPUTS);
    this.pumpCount = Math.max(1, opts.map.pumps().length);
    this.pumpSupplyV = opts.pumpSupplyV ?? 24;
    for (const reg of opts.map.registers) (reg.function === "holding" ? this.holding : this.input).set(reg.address, reg);
    this.current = opts.physics.snapshot();
    if (!this.current.liquid) throw new RangeError(`CDU: host ${opts.physics.hostId} has no liquid loop (profile ${this.current.profileId})`);
    const behaviours = { ...DEFAULT_MODE_BEHAVIOURS, ...opts.modeBehaviours };
    const modeReg = opts.map.byRole("mode");
    for (const mode of Object.keys(modeReg?.values ?? {})) {
      if (!behaviours[mode]) throw new RangeError(`CDU: map ${opts.map.name} has mode "${mode}" but no behaviour for it; pass modeBehaviours`);
    }
    const autoMode = opts.autoMode ?? opts.map.control?.autoMode ?? Object.keys(modeReg?.values ?? {}).find((m) => behaviours[m] !== "manual") ?? "auto";
    this.firmware = new CduFirmware({
      clock: opts.clock,
      behaviours,
      autoMode,
      leaseS: opts.leaseS ?? 30,
      defaultDutyPct: opts.defaultDutyPct ?? 60,
      targetTempC: opts.targetTempC ?? 38,
      targetFlowLpm: opts.targetFlowLpm ?? 2,
    });
    this.lastCmdPct = this.current.liquid.pumpSpeedPct;
    this.slave = new RtuSlavePort(this.unitId, this, opts.logger);
  }

  /** Advances the host by dtS with the CDU's pump command; registers then show the new state. */
  step(dtS: number): void {
    this.lastCmdPct = this.firmware.pumpCmdPct(this.liquid(), dtS);
    this.physics.step(dtS, { ...this.inputs(this.timeS), pumpCmdPct: this.lastCmdPct });
    this.timeS += dtS;
    this.current = this.physics.snapshot();
  }

  /** The true state after the last step (what the registers approximate at their resolution). */
  snapshot(): SimSnapshot {
    return this.current;
  }

  liquid(): LiquidLoopState {
    // Checked in the constructor; a liquid host stays liquid.
    return this.current.liquid as LiquidLoopState;
  }

  /** The duty the CDU gave the pump in the last step. */
  pumpCmdPct(): number {
    return this.lastCmdPct;
  }

  mode(): string {
    return this.firmware.mode();
  }

  /** Serves the map on a serial device (a pty end), with the map's line settings. */
  async attach(path: string): Promise<void> {
    const { baudRate, parity, dataBits, stopBits } = this.map.serial;
    // A replug may come before the old port has reported its loss; let go of it first.
    await this.slave.close();
    await this.slave.open(path, { baudRate, parity, dataBits, stopBits });
  }

  /** Takes the CDU off the wire; its state (mode, set-points, lease) carries on. */
  detach(): Promise<void> {
    return this.slave.close();
  }

  /** Calls back when the serial device disappears underneath (the cable is pulled). */
  onDetached(listener: (reason: string) => void): void {
    this.slave.on("lost", listener);
  }

  get attached(): boolean {
    return this.slave.isOpen;
  }

  wireStats(): RtuSlaveStats {
    return this.slave.stats();
  }

  setLinkFault(fault: LinkFault | undefined): void {
    this.slave.setFault(fault);
  }

  /** Sets or clears a named bit of the leak register (e.g. "tray_leak"). */
  setLeak(flag: string, on: boolean): void {
    this.leakBits = this.setBit(this.leakBits, "leak_flags", flag, on);
  }

  setFault(flag: string, on: boolean): void {
    this.faultBits = this.setBit(this.faultBits, "fault_word", flag, on);
  }

  /** 1 = healthy; 0.5 = the pump delivers half its flow. */
  setPumpDegraded(fraction: number): void {
    this.physics.setPumpDegraded(fraction);
  }

  dispose(): Promise<void> {
    this.firmware.dispose();
    return this.detach();
  }

  read(table: "holding" | "input", address: number): number | undefined {
    const reg = (table === "holding" ? this.holding : this.input).get(address);
    if (!reg) return undefined;
    const value = this.valueOf(reg);
    return value === undefined ? undefined : valueToRaw(reg, value);
  }

  checkWrite(address: number, word: number): number | undefined {
    const reg = this.holding.get(address);
    if (!reg?.writable) return ModbusException.IllegalDataAddress;
    if (reg.role === "mode") {
      const mode = this.map.modeName(word);
      return mode !== undefined && this.firmware.behaviour(mode) ? undefined : ModbusException.IllegalDataValue;
    }
    const value = rawToValue(reg, word);
    if ((reg.min !== undefined && value < reg.min) || (reg.max !== undefined && value > reg.max)) return ModbusException.IllegalDataValue;
    return undefined;
  }

  write(address: number, word: number): void {
    const reg = this.holding.get(address);
    if (!reg) return;
    const value = rawToValue(reg, word);
    switch (reg.role) {
      case "mode": {
        const mode = this.map.modeName(word);
        if (mode) this.firmware.setMode(mode);
        break;
      }
      case "pump_duty_setpoint":
        this.firmware.setDutySetpoint(value);
        break;
      case "target_temp":
        this.firmware.targetTempC = value;
        break;
      case "target_flow":
        this.firmware.targetFlowLpm = value;
        break;
      default:
        break;
    }
  }

  private valueOf(reg: RegisterDef): number | undefined {
    const liquid = this.liquid();
    const perPumpW = liquid.pumpPowerW / this.pumpCount;
    switch (reg.role) {
      case "mode":
        return this.map.modeRaw(this.firmware.mode());
      case "pump_duty_setpoint":
        return this.firmware.dutySetpointPct;
      case "target_temp":
        return this.firmware.targetTempC;
      case "target_flow":
        return this.firmware.targetFlowLpm;
      case "flow":
        return liquid.flowLpm;
      case "coolant_supply_temp":
        return liquid.coolantSupplyC;
      case "coolant_return_temp":
        return liquid.coolantReturnC;
      // The pumps run in parallel on one duty: same speed, the power shared.
      case "pump_pwm":
        return liquid.pumpSpeedPct;
      case "pump_rpm":
        return liquid.pumpRpm;
      case "pump_power":
        return perPumpW;
      case "pump_voltage":
        return this.pumpSupplyV;
      case "pump_current":
        return perPumpW / this.pumpSupplyV;
      case "leak_flags":
        return this.leakBits;
      case "fault_word":
        return this.faultBits;
      default:
        // A register the simulation has no physics for still answers, as reserved registers do on real units.
        return 0;
    }
  }

  private setBit(word: number, role: "leak_flags" | "fault_word", flag: string, on: boolean): number {
    const reg = this.map.byRole(role);
    const bit = reg?.bits?.[flag];
    if (bit === undefined) throw new RangeError(`CDU: map ${this.map.name} has no ${role} bit "${flag}"; known: ${Object.keys(reg?.bits ?? {}).join(", ") || "none"}`);
    return on ? word | (1 << bit) : word & ~(1 << bit);
  }
}
