import { loadProfile, type HostProfile } from "../../firmware-sim/index.js";
import type { AgentConfig } from "../config/agent-schema.js";
import { parseAgentConfig } from "../config/load.js";

export interface SimAgentConfigOptions {
  hostId: string;
  root: string;
  brokerUrl: string;
  periodMs?: number;
  /** A disk outbox in this directory; without it the agent keeps its outbox in memory (no writable state dir needed). */
  outboxDir?: string;
}

/** CPU control target Tj max − 10 °C and override 3 °C short of Tj max, as the thermal-design literature does. */
function cpuLimits(profile: HostProfile): { targetC: number; criticalC: number } {
  return { targetC: profile.tjMaxC - 10, criticalC: profile.tjMaxC - 3 };
}

/** Drive sensor ids as the agent names them: drivetemp for SATA/SAS, the nvme driver's own chip for NVMe. */
function driveLimits(profile: HostProfile): Record<string, unknown>[] {
  const limits = new Map<string, Record<string, unknown>>();
  for (const drive of profile.drives) {
    const match = drive.name.startsWith("nvme") ? "nvme.*" : "drivetemp.*";
    const limitC = drive.limitC;
    const existing = limits.get(match);
    const criticalC = Math.min(limitC, (existing?.criticalC as number | undefined) ?? limitC);
    limits.set(match, { match, role: "drive", targetC: criticalC - 8, criticalC });
  }
  return [...limits.values()];
}

/**
 * The profile's nominal cooling and leakage watts, as an operator would copy them from the data sheets: the birth
 * announces them and the planner weighs energy with them (the simulated hosts spread around these, as real ones do).
 */
function energyHints(profile: HostProfile): { fanMaxPowerW: number; pumpMaxPowerW: number | undefined; cpuLeakage: { at85W: number; doublingK: number } } {
  return {
    fanMaxPowerW: profile.fans.count * profile.fans.maxPowerW,
    pumpMaxPowerW: profile.liquid?.pumpMaxPowerW,
    cpuLeakage: { at85W: profile.sockets * profile.cpu.leakageAt85W, doublingK: profile.cpu.leakageDoublingK },
  };
}

/**
 * Agent configs for the simulator's host profiles (firmware-sim/profiles): which hwmon chips drive the fans and
 * pump, and which sensors are controlled with which limits. The demo, the benchmark and the tests use these;
 * config/agent.sim.yaml is the same thing for the PowerEdge profile, written out for people.
 */
export function simAgentConfig(profileId: string, opts: SimAgentConfigOptions): AgentConfig {
  const profile = loadProfile(profileId);
  const cpu = cpuLimits(profile);
  const energy = energyHints(profile);
  const source = `agent config for simulated ${profileId}`;
  const outbox = opts.outboxDir === undefined ? { kind: "memory" } : { kind: "disk", dir: opts.outboxDir };
  const base = { version: 1, hostId: opts.hostId, root: opts.root, periodMs: opts.periodMs ?? 1000, broker: { url: opts.brokerUrl }, outbox, cpuLeakage: energy.cpuLeakage };
  const cpuTemps = [
    { match: "coretemp.*:Package id *", role: "cpu", ...cpu, required: true },
    { match: "coretemp.*:Core *", role: "cpu", targetC: cpu.targetC + 2, criticalC: cpu.criticalC + 1 },
  ];
  const fanChannels = Array.from({ length: profile.fans.count }, (_, i) => i + 1);

  if (profile.id.startsWith("macpro")) {
    return parseAgentConfig(
      {
        ...base,
        temperatures: [...cpuTemps, { match: "applesmc:TA0P", role: "inlet", targetC: 35, criticalC: 45 }, ...driveLimits(profile)],
        fans: { chip: "applesmc", channels: fanChannels, minPct: profile.fans.minPct, roles: ["cpu", "drive"], maxPowerW: energy.fanMaxPowerW },
      },
      source,
    );
  }
  const temperatures = [...cpuTemps, { match: "nct6798:SYSTIN", role: "inlet", targetC: 35, criticalC: 45 }, ...driveLimits(profile)];
  if (profile.coolingKind === "liquid") {
    return parseAgentConfig(
      {
        ...base,
        temperatures: [...temperatures, { match: "d5next:Coolant temp", role: "coolant", targetC: 45, criticalC: 55 }],
        // On cold plates the pump cools the CPUs; the fans cool drives and the rest of the chassis.
        fans: { chip: "nct6798", channels: fanChannels, minPct: profile.fans.minPct, roles: ["drive"], maxPowerW: energy.fanMaxPowerW },
        pump: { chip: "d5next", channels: [1], minPct: 30, roles: ["cpu", "coolant"], ...(energy.pumpMaxPowerW === undefined ? {} : { maxPowerW: energy.pumpMaxPowerW }) },
      },
      source,
    );
  }
  return parseAgentConfig({ ...base, temperatures, fans: { chip: "nct6798", channels: fanChannels, minPct: profile.fans.minPct, roles: ["cpu", "drive"], maxPowerW: energy.fanMaxPowerW } }, source);
}
