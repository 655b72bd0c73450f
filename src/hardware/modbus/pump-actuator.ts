import type { Clock, TimerHandle } from "../../core/clock.js";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { CoolingActuator } from "../binding.js";
import type { ModbusDevice } from "./device.js";
import type { RegisterDef } from "./register-map-schema.js";

export interface ModbusPumpActuatorOptions {
  clock: Clock;
  /**
   * The duty set-point is rewritten at least this often while control is held, so the device's manual-mode lease
   * does not lapse even if the agent's period is long. Default 10 000; keep it well under the device's lease.
   */
  renewMs?: number;
  logger?: Logger;
}

interface ControlRegisters {
  mode: RegisterDef;
  duty: RegisterDef;
  manualRaw: number;
  autoRaw: number;
}

function controlRegisters(device: ModbusDevice): ControlRegisters {
  const map = device.map;
  const mode = map.byRole("mode");
  const duty = map.byRole("pump_duty_setpoint");
  const control = map.control;
  const manualRaw = control ? map.modeRaw(control.manualMode) : undefined;
  const autoRaw = control ? map.modeRaw(control.autoMode) : undefined;
  if (!mode || !duty || manualRaw === undefined || autoRaw === undefined) {
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `register map ${map.name} has no "control" block with a mode and a pump_duty_setpoint register; the pump cannot be driven`);
  }
  return { mode, duty, manualRaw, autoRaw };
}

/**
 * The pumps of a CDU or pump drive as one channel: manual mode plus the duty set-point. The device keeps its own
 * automatic mode and drops back to it when the manual lease lapses, so a dead agent costs efficiency, not cooling.
 */
export class ModbusPumpActuator implements CoolingActuator {
  readonly name: string;
  readonly channels = 1;
  private readonly regs: ControlRegisters;
  private readonly clock: Clock;
  private readonly renewMs: number;
  private readonly logger: Logger | undefined;
  private foundModeRaw: number | undefined;
  private lastPct: number | undefined;
  private lastWriteMs = 0;
  private lastModeWriteMs = 0;
  private renewTimer: TimerHandle | undefined;

  constructor(
    private readonly device: ModbusDevice,
    opts: ModbusPumpActuatorOptions,
  ) {
    this.name = `modbus:${device.name}`;
    this.regs = controlRegisters(device);
    this.clock = opts.clock;
    this.renewMs = opts.renewMs ?? 10_000;
    this.logger = opts.logger;
  }

  /** True between takeControl and restore. */
  get holding(): boolean {
    return this.foundModeRaw !== undefined;
  }

  async takeControl(): Promise<void> {
    if (this.foundModeRaw !== undefined) return;
    const found = await this.device.readRegister(this.regs.mode.name);
    // Bumpless: start manual mode at the speed the pumps run now, not whatever the set-point register last held.
    const runningPct = this.runningPct();
    if (runningPct !== undefined) {
      await this.writeDuty(runningPct);
      this.lastPct = runningPct;
    }
    await this.writeMode(this.regs.manualRaw);
    // Manual already: a previous agent died holding it. Handing back "manual" would leave the pumps on a stale duty.
    this.foundModeRaw = found === this.regs.manualRaw ? this.regs.autoRaw : found;
    this.armRenewal();
  }

  async setPct(pct: number): Promise<void> {
    const clamped = Math.min(100, Math.max(0, Number.isFinite(pct) ? pct : 100));
    this.lastPct = clamped;
    if (this.foundModeRaw !== undefined && this.deviceLeftManual()) {
      this.logger?.warn({ device: this.device.name }, "device left manual mode (lease lapsed or restarted); taking it back");
      await this.writeMode(this.regs.manualRaw);
    }
    await this.writeDuty(clamped);
  }

  async restore(): Promise<void> {
    this.disarmRenewal();
    const found = this.foundModeRaw;
    if (found === undefined) return;
    await this.writeMode(found);
    this.foundModeRaw = undefined;
  }

  private runningPct(): number | undefined {
    const pwm = this.device.map.byRole("pump_pwm", 1);
    return pwm ? this.device.value(pwm.name)?.value : undefined;
  }

  /** The poll saw a mode other than manual after our last mode write. */
  private deviceLeftManual(): boolean {
    const cached = this.device.value(this.regs.mode.name);
    return cached !== undefined && cached.sampledAtMs > this.lastModeWriteMs && cached.raw !== this.regs.manualRaw;
  }

  private async writeDuty(pct: number): Promise<void> {
    await this.device.writeRegister(this.regs.duty.name, pct);
    this.lastWriteMs = this.clock.nowMs();
  }

  private async writeMode(raw: number): Promise<void> {
    await this.device.writeRegister(this.regs.mode.name, raw);
    this.lastModeWriteMs = this.clock.nowMs();
    this.lastWriteMs = this.lastModeWriteMs;
  }

  private armRenewal(): void {
    this.disarmRenewal();
    this.renewTimer = this.clock.setTimeout(() => {
      this.renewTimer = undefined;
      void this.renew().finally(() => {
        if (this.foundModeRaw !== undefined) this.armRenewal();
      });
    }, this.renewMs);
  }

  private disarmRenewal(): void {
    if (this.renewTimer) this.clock.clearTimeout(this.renewTimer);
    this.renewTimer = undefined;
  }

  private async renew(): Promise<void> {
    if (this.foundModeRaw === undefined) return;
    // The agent's own setPct calls renew the lease whenever it runs; this only covers a quiet stretch.
    if (this.clock.nowMs() - this.lastWriteMs < this.renewMs) return;
    try {
      if (this.lastPct === undefined) await this.writeMode(this.regs.manualRaw);
      else await this.setPct(this.lastPct);
    } catch (err) {
      this.logger?.warn({ device: this.device.name, err: err instanceof Error ? err.message : String(err) }, "pump lease renewal failed");
    }
  }
}
