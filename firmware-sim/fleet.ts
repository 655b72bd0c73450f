import { join } from "node:path";
import type { Logger } from "pino";
import type { Clock, TimerHandle } from "../src/core/clock.js";
import { CoolfleetError, ErrorCode } from "../src/core/errors.js";
import { SimulatedHostDevice } from "./devices/simulated-host.js";
import { SimHost } from "./physics/sim-host.js";
import { loadProfile } from "./profiles/index.js";
import { createRng, type Rng } from "./rng.js";
import { createWorkload, type Workload, type WorkloadId } from "./workloads/index.js";

export interface SimFleetOptions {
  hosts: number;
  /** Each host's tree goes under `<root>/<hostId>/`. */
  root: string;
  seed: number;
  /** Profile ids, cycled over the hosts (default: poweredge-r740-air). */
  profiles?: readonly string[];
  /** Workload ids or ready workloads, cycled over the hosts (default: W1). */
  workloads?: readonly (WorkloadId | Workload)[];
  clock: Clock;
  /** Simulated seconds per wall-clock second (default 1). */
  speed?: number;
  /** Simulated seconds per step (default 0.5, the physics' largest step). */
  stepS?: number;
  /** ±10 % parameter spread per host (default true). */
  spread?: boolean;
  logger?: Logger;
}

export const DEFAULT_SIM_PROFILE = "poweredge-r740-air";
export const DEFAULT_SIM_WORKLOAD: WorkloadId = "W1";
const DEFAULT_STEP_S = 0.5;
const SEED_SPACE = 0x1_0000_0000;

/** sim-000, sim-001 …; wider once the fleet passes 1000 hosts so ids still sort. */
export function simHostId(index: number, hosts: number): string {
  return `sim-${String(index).padStart(Math.max(3, String(hosts - 1).length), "0")}`;
}

/**
 * A fleet of simulated hosts stepped together by the injected clock: one SimulatedHostDevice (physics, workload,
 * sysfs/procfs tree) per host. start() runs it in (scaled) real time; tests call stepAll() or advance a ManualClock.
 */
export class SimFleet {
  readonly hostIds: readonly string[];
  readonly stepS: number;
  readonly speed: number;
  private readonly devices = new Map<string, SimulatedHostDevice>();
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private timer: TimerHandle | undefined;
  private nextDueMs = 0;
  private failing = false;

  constructor(opts: SimFleetOptions) {
    if (!Number.isInteger(opts.hosts) || opts.hosts < 1) throw usage(`hosts must be a whole number ≥ 1, not ${opts.hosts}`);
    this.stepS = opts.stepS ?? DEFAULT_STEP_S;
    this.speed = opts.speed ?? 1;
    if (!(this.stepS > 0 && this.stepS <= 10)) throw usage(`stepS must be in (0, 10] simulated seconds, not ${this.stepS}`);
    if (!(this.speed > 0 && Number.isFinite(this.speed))) throw usage(`speed must be a positive number, not ${this.speed}`);
    this.clock = opts.clock;
    this.logger = opts.logger;
    const profiles = nonEmpty(opts.profiles, [DEFAULT_SIM_PROFILE]);
    const workloads = nonEmpty(opts.workloads, [DEFAULT_SIM_WORKLOAD]);
    const fleetRng = createRng(opts.seed);
    const bootTimeS = Math.floor(opts.clock.nowMs() / 1000);
    const ids: string[] = [];
    for (let i = 0; i < opts.hosts; i++) {
      const hostId = simHostId(i, opts.hosts);
      const hostRng = fleetRng.fork(hostId);
      const profile = loadProfile(profiles[i % profiles.length] as string);
      const choice = workloads[i % workloads.length] as WorkloadId | Workload;
      const workload = typeof choice === "string" ? createWorkload(choice, { seed: seedFrom(hostRng, "workload") }) : choice;
      const physics = new SimHost({ hostId, profile, seed: seedFrom(hostRng, "physics"), spread: opts.spread ?? true });
      const device = new SimulatedHostDevice({
        physics,
        profile,
        workload,
        root: join(opts.root, hostId),
        seed: seedFrom(hostRng, "devices"),
        bootTimeS,
        ...(opts.logger ? { logger: opts.logger } : {}),
      });
      this.devices.set(hostId, device);
      ids.push(hostId);
    }
    this.hostIds = ids;
  }

  /** One host's device, for fault injection and inspection. */
  host(id: string): SimulatedHostDevice {
    const device = this.devices.get(id);
    if (!device) throw usage(`no simulated host "${id}"; the fleet has ${this.hostIds[0]} … ${this.hostIds[this.hostIds.length - 1]}`);
    return device;
  }

  hosts(): SimulatedHostDevice[] {
    return [...this.devices.values()];
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  /** Steps every host by dtS simulated seconds (errors propagate: for tests). */
  stepAll(dtS: number = this.stepS): void {
    for (const device of this.devices.values()) device.step(dtS);
  }

  /** Steps the fleet every stepS / speed wall seconds on the injected clock until stop(). */
  start(): void {
    if (this.timer) return;
    this.nextDueMs = this.clock.nowMs() + this.periodMs();
    this.timer = this.clock.setTimeout(() => this.tick(), this.periodMs());
    this.logger?.info({ hosts: this.hostIds.length, stepS: this.stepS, speed: this.speed }, "sim: fleet started");
  }

  stop(): void {
    if (!this.timer) return;
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.logger?.info({ hosts: this.hostIds.length }, "sim: fleet stopped");
  }

  private periodMs(): number {
    return (this.stepS * 1000) / this.speed;
  }

  private tick(): void {
    this.stepEachGuarded();
    if (!this.timer) return;
    // Schedule against the ideal timeline so steps do not drift; if the host cannot keep up, slip rather than burst.
    const now = this.clock.nowMs();
    this.nextDueMs = Math.max(this.nextDueMs + this.periodMs(), now);
    this.timer = this.clock.setTimeout(() => this.tick(), this.nextDueMs - now);
  }

  /** A host that fails (its tree deleted under it …) must not stop the others; log once per run of failures. */
  private stepEachGuarded(): void {
    let failed = 0;
    for (const [hostId, device] of this.devices) {
      try {
        device.step(this.stepS);
      } catch (err) {
        failed++;
        if (!this.failing) this.logger?.error({ hostId, err }, "sim: host step failed");
      }
    }
    if (failed === 0 && this.failing) this.logger?.info("sim: every host steps again");
    this.failing = failed > 0;
  }
}

function seedFrom(rng: Rng, label: string): number {
  return Math.floor(rng.fork(label).next() * SEED_SPACE);
}

function nonEmpty<T>(values: readonly T[] | undefined, fallback: T[]): readonly T[] {
  return values && values.length > 0 ? values : fallback;
}

function usage(message: string): CoolfleetError {
  return new CoolfleetError(ErrorCode.UsageInvalid, `sim fleet: ${message}`);
}
