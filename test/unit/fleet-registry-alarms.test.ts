import { describe, expect, it } from "vitest";
import { FakeHost } from "../../bench/fake-host.js";
import { FleetRegistry } from "../../src/controller/fleet-registry.js";
import type { Alarm, Telemetry } from "../../src/protocol/index.js";

const T0 = 1_700_000_000_000;
const FAN_FAILED: Alarm = { kind: "fan_failure", source: "nct6798:fan3", sinceMs: T0 + 10_000 };

/** Feeds one message per second from startS (inclusive) to endS (exclusive), alarms on or off; returns the changes. */
function feed(registry: FleetRegistry, host: FakeHost, startS: number, endS: number, alarms: Alarm[] | undefined): string[] {
  const changes: string[] = [];
  for (let s = startS; s < endS; s++) {
    const t: Telemetry = host.telemetry(T0 + s * 1000);
    // Keep the host healthy and cool otherwise, so only the alarm can move its state.
    for (const r of t.readings) if (r.kind === "temperature") r.value = 60;
    const message = alarms ? { ...t, alarms } : t;
    for (const c of registry.applyTelemetry(message, T0 + s * 1000).changes) changes.push(`${c.change.from}→${c.change.to}: ${c.change.cause}`);
  }
  return changes;
}

describe("FleetRegistry: alarms the agent reports", () => {
  it("put the host in Error while they last, shown in its view, and it recovers once they clear", () => {
    const registry = new FleetRegistry();
    const host = new FakeHost("r740-07", 7);
    registry.applyHostState(host.birth(T0), T0, true);
    expect(registry.view("r740-07")?.view.state).toBe("Running");

    expect(feed(registry, host, 1, 10, undefined)).toEqual([]);
    const raised = feed(registry, host, 10, 11, [FAN_FAILED]);
    expect(raised).toEqual(["Running→Error: actuator failure: agent reports fan_failure (nct6798:fan3)"]);
    expect(registry.view("r740-07")?.view.alarms).toEqual([FAN_FAILED]);

    // Far longer than the recovery hold: the alarm keeps restarting it, so the host stays in Error.
    expect(feed(registry, host, 11, 120, [FAN_FAILED])).toEqual([]);
    expect(registry.view("r740-07")?.view.state).toBe("Error");

    const cleared = feed(registry, host, 120, 240, undefined);
    expect(cleared).toHaveLength(1);
    expect(cleared[0]).toMatch(/^Error→Running/);
    expect(registry.view("r740-07")?.view.alarms).toEqual([]);
  });
});
