import { parseAgentConfig } from "../config/load.js";
import type { AgentConfig } from "../config/agent-schema.js";

/**
 * Agent configs for the simulator's host profiles (firmware-sim/profiles): which hwmon chips drive the fans and
 * pump, and which sensors are controlled with which limits. The demo, the benchmark and the tests use these;
 * config/agent.sim.yaml is the same thing for the PowerEdge profile, written out for people.
 */
export function simAgentConfig(profileId: string, opts: { hostId: string; root: string; brokerUrl: string; periodMs?: number }): AgentConfig {
  const base = {
    version: 1,
    hostId: opts.hostId,
    root: opts.root,
    periodMs: opts.periodMs ?? 1000,
    broker: { url: opts.brokerUrl },
  };
  const drives = { match: "drivetemp.*", role: "drive", targetC: 45, criticalC: 55 };
  if (profileId.startsWith("macpro")) {
    return parseAgentConfig(
      {
        ...base,
        temperatures: [
          { match: "coretemp.*:Package id *", role: "cpu", targetC: 95, criticalC: 103, required: true },
          { match: "coretemp.*:Core *", role: "cpu", targetC: 97, criticalC: 104 },
          { match: "applesmc:TA0P", role: "inlet", targetC: 35, criticalC: 45 },
          drives,
        ],
        fans: { chip: "applesmc", channels: [1, 2, 3, 4], minPct: 20, roles: ["cpu", "drive"] },
      },
      `simulated ${profileId}`,
    );
  }
  const temperatures = [
    { match: "coretemp.*:Package id *", role: "cpu", targetC: 85, criticalC: 95, required: true },
    { match: "coretemp.*:Core *", role: "cpu", targetC: 88, criticalC: 97 },
    { match: "nct6798:SYSTIN", role: "inlet", targetC: 35, criticalC: 45 },
    drives,
  ];
  if (profileId.includes("liquid")) {
    return parseAgentConfig(
      {
        ...base,
        temperatures: [...temperatures, { match: "d5next:Coolant temp", role: "coolant", targetC: 40, criticalC: 50 }],
        fans: { chip: "nct6798", channels: [1, 2, 3, 4, 5, 6], minPct: 20, roles: ["drive"] },
        pump: { chip: "d5next", channels: [1], minPct: 30, roles: ["cpu", "coolant"] },
      },
      `simulated ${profileId}`,
    );
  }
  return parseAgentConfig(
    { ...base, temperatures, fans: { chip: "nct6798", channels: [1, 2, 3, 4, 5, 6], minPct: 20, roles: ["cpu", "drive"] } },
    `simulated ${profileId}`,
  );
}
