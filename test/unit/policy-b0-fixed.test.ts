import { describe, expect, it } from "vitest";
import { ENERGY_OBJECTIVE } from "../../src/controller/planner/objective.js";
import { B0FixedPolicy } from "../../src/controller/planner/policy-b0-fixed.js";
import type { HostView } from "../../src/controller/types.js";
import { isCoolfleetError } from "../../src/core/errors.js";
import { cpuTemp, fanCapabilities, hostView } from "../helpers/host-view.js";

function host(hostId: string, cpuC: number | null, over: Partial<HostView> = {}): HostView {
  return hostView({ hostId, capabilities: fanCapabilities(25, 90), temperatures: [cpuTemp(cpuC)], ...over });
}

describe("B0 fixed fan", () => {
  it("proposes its level for every host whatever the temperature, within each host's bounds", () => {
    const b0 = new B0FixedPolicy(56);
    const out = b0.plan({ nowMs: 0, hosts: [host("a", 40), host("b", 95)], objectives: new Map([["a", ENERGY_OBJECTIVE]]) });
    expect(out.map((p) => [p.hostId, p.setpoints.fanPct])).toEqual([["a", 56], ["b", 56]]);
    expect(out[0]?.ttlMs).toBe(3000);
    expect(new B0FixedPolicy(10).plan({ nowMs: 0, hosts: [host("a", 40)], objectives: new Map() })[0]?.setpoints.fanPct).toBe(25);
    expect(new B0FixedPolicy(100).plan({ nowMs: 0, hosts: [host("a", 40)], objectives: new Map() })[0]?.setpoints.fanPct).toBe(90);
  });

  it("proposes nothing for a host without a trusted CPU reading (the agent's failsafe decides)", () => {
    expect(new B0FixedPolicy(56).plan({ nowMs: 0, hosts: [host("a", null)], objectives: new Map() })).toEqual([]);
  });

  it("refuses a level outside 0..100 %", () => {
    expect(() => new B0FixedPolicy(120)).toThrow();
    try {
      new B0FixedPolicy(Number.NaN);
    } catch (err) {
      expect(isCoolfleetError(err)).toBe(true);
    }
  });
});
