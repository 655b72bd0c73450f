import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CoolingAgent, type AgentLinkPort } from "../../src/agent/agent.js";
import { parseAgentConfigText } from "../../src/config/load.js";
import { ManualClock } from "../../src/core/clock.js";
import { silentLogger } from "../../src/core/logger.js";
import type { CoolingActuator, SensorSource } from "../../src/hardware/binding.js";
import type { Telemetry } from "../../src/protocol/index.js";

const T0 = 1_700_000_000_000;

/** A fan group whose writes fail while `down` is set, as an IPMI fan write does while the BMC is silent. */
class FlakyFans implements CoolingActuator {
  readonly name = "flaky-fans";
  readonly channels = 2;
  down = false;
  readonly written: number[] = [];
  takeControl(): Promise<void> {
    return Promise.resolve();
  }
  setPct(pct: number): Promise<void> {
    if (this.down) return Promise.reject(new Error("ipmitool: Unable to establish IPMI v2 / RMCP+ session"));
    this.written.push(pct);
    return Promise.resolve();
  }
  restore(): Promise<void> {
    return Promise.resolve();
  }
}

function agentWith(fans: FlakyFans, clock: ManualClock): { agent: CoolingAgent; telemetry: Telemetry[] } {
  const config = parseAgentConfigText(readFileSync("config/agent.sim.yaml", "utf8"), "config/agent.sim.yaml", { onWarning: () => undefined });
  const telemetry: Telemetry[] = [];
  const link: AgentLinkPort = {
    start: () => undefined,
    updateBirth: () => undefined,
    publishTelemetry: (t) => telemetry.push(t),
    publishAck: () => undefined,
    stop: () => Promise.resolve(),
    stats: () => ({ connected: true, queued: 0, inFlight: 0, backlogBytes: 0, dropped: 0, tornRecords: 0, published: 0, replayed: 0, connects: 0 }),
  };
  const cpu: SensorSource = {
    name: "cpu",
    sweep: (nowMs) => [
      { id: "coretemp.0:Package id 0", kind: "temperature", unit: "C", value: 60 + (nowMs / 1000) % 2, sampledAtMs: nowMs },
      { id: "coretemp.0:Core 0", kind: "temperature", unit: "C", value: 59 + (nowMs / 1000) % 2, sampledAtMs: nowMs },
    ],
  };
  const agent = new CoolingAgent({ config, hostId: "sim-000", boot: "boot-unit-0001", agentVersion: "test", clock, logger: silentLogger(), sources: [cpu], fans, createLink: () => link });
  return { agent, telemetry };
}

describe("CoolingAgent with an actuator that cannot be written", () => {
  it("still reports every period: failsafe mode, the last output written, an actuator_unreachable alarm until a write succeeds", async () => {
    const clock = new ManualClock(T0);
    const fans = new FlakyFans();
    const { agent, telemetry } = agentWith(fans, clock);
    const period = async (): Promise<void> => {
      clock.advance(1000);
      await agent.tick();
    };
    for (let i = 0; i < 3; i++) await period();
    const lastWrittenPct = fans.written.at(-1);
    expect(telemetry.map((t) => t.alarms)).toEqual([undefined, undefined, undefined]);

    fans.down = true;
    for (let i = 0; i < 4; i++) await period();
    const during = telemetry.slice(3);
    expect(during).toHaveLength(4);
    expect(during.map((t) => t.mode)).toEqual(["failsafe", "failsafe", "failsafe", "failsafe"]);
    expect(during.map((t) => t.outputs.fanPct)).toEqual([lastWrittenPct, lastWrittenPct, lastWrittenPct, lastWrittenPct]);
    expect(during.map((t) => t.alarms)).toEqual(Array(4).fill([{ kind: "actuator_unreachable", source: "fans", sinceMs: T0 + 4000 }]));
    expect(agent.counters.tickErrors).toBe(0);

    fans.down = false;
    await period();
    expect(telemetry.at(-1)?.alarms).toBeUndefined();
    expect(telemetry.at(-1)?.mode).not.toBe("failsafe");
    expect(telemetry.map((t) => t.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7]);
  });
});
