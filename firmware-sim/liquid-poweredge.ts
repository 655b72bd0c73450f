import type { Clock } from "../src/core/clock.js";
import { loadRegisterMap } from "../src/hardware/modbus/index.js";
import { SimulatedBmc, type BmcPersonality } from "./bmc/index.js";
import { SimulatedCdu } from "./cdu/index.js";
import type { WorkloadInputs } from "./devices/device-contracts.js";
import { SimHost } from "./physics/sim-host.js";
import type { SimInputs, SimSnapshot } from "./physics/types.js";
import { loadProfile } from "./profiles/index.js";

export interface SimulatedLiquidPowerEdgeOptions {
  hostId: string;
  seed: number;
  clock: Clock;
  personality?: BmcPersonality;
  username?: string;
  password?: string;
  /** The CDU's register map (default orv3-rpu). */
  map?: string;
}

/**
 * A liquid-cooled PowerEdge as its agent meets it: one thermal model behind two real interfaces — a BMC on
 * IPMI-over-LAN driving the chassis fans, and a coolant unit on Modbus RTU driving the pump. Each step the CDU
 * decides the pump command and the BMC the fan command, and the physics advances once with both.
 */
export class SimulatedLiquidPowerEdge {
  readonly physics: SimHost;
  readonly bmc: SimulatedBmc;
  readonly cdu: SimulatedCdu;
  private pumpCmdPct: number | undefined;

  constructor(opts: SimulatedLiquidPowerEdgeOptions) {
    this.physics = new SimHost({ hostId: opts.hostId, profile: loadProfile("poweredge-r750-liquid"), seed: opts.seed });
    const physics = this.physics;
    // The CDU only chooses the pump command; the BMC's step moves the physics with fans and pump together.
    const pumpSide = {
      hostId: physics.hostId,
      snapshot: (): SimSnapshot => physics.snapshot(),
      setPumpDegraded: (fraction: number): void => physics.setPumpDegraded(fraction),
      step: (_dtS: number, inputs: SimInputs): void => {
        this.pumpCmdPct = inputs.pumpCmdPct;
      },
    };
    const fanSide = {
      hostId: physics.hostId,
      profile: physics.profile,
      snapshot: (): SimSnapshot => physics.snapshot(),
      setFanDead: (index: number, dead: boolean): void => physics.setFanDead(index, dead),
      setFanHealth: (index: number, healthFraction: number): void => physics.setFanHealth(index, healthFraction),
      step: (dtS: number, inputs: SimInputs): void => physics.step(dtS, { ...inputs, ...(this.pumpCmdPct !== undefined ? { pumpCmdPct: this.pumpCmdPct } : {}) }),
    };
    this.cdu = new SimulatedCdu({ map: loadRegisterMap(opts.map ?? "orv3-rpu"), physics: pumpSide, clock: opts.clock });
    this.bmc = new SimulatedBmc({
      host: fanSide,
      clock: opts.clock,
      ...(opts.personality ? { personality: opts.personality } : {}),
      ...(opts.username ? { username: opts.username } : {}),
      ...(opts.password ? { password: opts.password } : {}),
    });
  }

  /** Starts the BMC on a loopback UDP port and serves the CDU's registers on one end of a serial line. */
  async start(serialPath: string): Promise<{ bmcPort: number }> {
    const { port } = await this.bmc.start();
    await this.cdu.attach(serialPath);
    return { bmcPort: port };
  }

  step(dtS: number, load: WorkloadInputs): SimSnapshot {
    this.cdu.step(dtS);
    return this.bmc.step(dtS, load);
  }

  async stop(): Promise<void> {
    await this.bmc.stop();
    await this.cdu.dispose();
  }
}
