import { rmSync } from "node:fs";
import { join } from "node:path";
import { SimFleet, type WorkloadId, type Workload } from "../../firmware-sim/index.js";
import type { CoolingAgent } from "../../src/agent/agent.js";
import { assembleAgent } from "../../src/agent/assemble.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";
import { parseControllerConfig } from "../../src/config/load.js";
import { ManualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import { scratchDir } from "../../src/core/scratch-dir.js";
import { FleetController } from "../../src/controller/controller.js";
import { SqliteTelemetryStore } from "../../src/controller/store/index.js";

export interface FleetHarnessOptions {
  brokerUrl: string;
  hosts: number;
  profiles?: string[];
  workloads?: (WorkloadId | Workload)[];
  seed?: number;
  policy?: "b1" | "b2";
}

let fleetCount = 0;

/**
 * The controller, a simulated fleet and one real agent per host, all on one ManualClock, over a real broker.
 * period() steps the physics, advances time (agents tick, the controller plans) and waits until the controller
 * has taken in everything the agents published.
 */
export class FleetHarness {
  readonly clock = new ManualClock(Date.now());
  readonly root = scratchDir("coolfleet-fleet-");
  readonly fleet: SimFleet;
  readonly agents = new Map<string, CoolingAgent>();
  readonly store: SqliteTelemetryStore;
  readonly controller: FleetController;
  readonly clientId = `controller-test-${++fleetCount}-${process.pid}`;

  constructor(private readonly options: FleetHarnessOptions) {
    this.fleet = new SimFleet({
      hosts: options.hosts,
      root: join(this.root, "hosts"),
      seed: options.seed ?? 5,
      clock: this.clock,
      ...(options.profiles ? { profiles: options.profiles } : {}),
      ...(options.workloads ? { workloads: options.workloads } : {}),
    });
    this.fleet.stepAll(1);
    this.store = new SqliteTelemetryStore(join(this.root, "controller.db"));
    this.controller = this.newController();
    this.fleetIndex = fleetCount;
  }

  private readonly fleetIndex: number;

  newController(): FleetController {
    const config = parseControllerConfig(
      { version: 1, broker: { url: this.options.brokerUrl, clientId: this.clientId }, store: { path: this.store.path }, planner: { policy: this.options.policy ?? "b2" } },
      "test",
    );
    return new FleetController({ config, clock: this.clock, logger: silentLogger(), store: this.store });
  }

  hostIdOf(simId: string): string {
    return [...this.agents.keys()].find((id) => id.endsWith(simId))!;
  }

  device(hostId: string) {
    return this.fleet.host(hostId.slice(hostId.indexOf("-") + 1));
  }

  async start(): Promise<void> {
    for (const simId of this.fleet.hostIds) {
      const device = this.fleet.host(simId);
      const hostId = `f${this.fleetIndex}-${simId}`;
      const config = simAgentConfig(device.profile.id, { hostId, root: device.root, brokerUrl: this.options.brokerUrl });
      this.agents.set(hostId, await assembleAgent({ config, hostId, clock: this.clock, logger: silentLogger(), inventory: false }));
    }
    await this.controller.start();
    for (const agent of this.agents.values()) await agent.start();
    await this.until("every agent connected", () => [...this.agents.values()].every((a) => a.linkStats().connected));
  }

  /** Telemetry messages the agents have had acknowledged by the broker (plus what they still hold). */
  published(): number {
    return [...this.agents.values()].reduce((n, a) => n + a.linkStats().published, 0);
  }

  async period(count = 1, controller = this.controller): Promise<void> {
    for (let i = 0; i < count; i++) {
      this.fleet.stepAll(1);
      this.clock.advance(1000);
      for (const agent of this.agents.values()) await agent.whenIdle();
      await this.settle(controller);
    }
  }

  /** Waits until every agent's queue is empty and the controller has accepted what was published. */
  async settle(controller = this.controller): Promise<void> {
    await this.until("agents drained", () => [...this.agents.values()].every((a) => a.linkStats().queued === 0 && a.linkStats().inFlight === 0));
    const ticks = [...this.agents.values()].reduce((n, a) => n + a.counters.ticks, 0);
    await this.until(`controller took in ${ticks} telemetry messages`, () => {
      const s = controller.ingestStats();
      return s.accepted + s.duplicates >= ticks;
    });
  }

  async until(what: string, predicate: () => boolean, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
      if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  }

  async stop(): Promise<void> {
    for (const agent of this.agents.values()) await agent.stop().catch(() => undefined);
    await this.controller.stop().catch(() => undefined);
    await this.store.close().catch(() => undefined);
    rmSync(this.root, { recursive: true, force: true });
  }
}
