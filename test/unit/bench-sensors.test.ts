import { describe, expect, it } from "vitest";
import { listProfiles, loadProfile } from "../../firmware-sim/index.js";
import { BenchSensors } from "../../bench/closed-loop/bench-sensors.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";

describe("the benchmark's sensors, named as the agent names them on each simulated machine", () => {
  it.each(listProfiles())("%s: the agent config controls a CPU, the inlet and every drive (and the coolant on a liquid loop)", (profileId) => {
    const profile = loadProfile(profileId);
    const config = simAgentConfig(profileId, { hostId: "h1", root: "/tmp/none", brokerUrl: "mqtt://127.0.0.1:1883" });
    const manifest = new BenchSensors(profile, 1).manifest(config.temperatures);
    const roles = (role: string): string[] => manifest.filter((e) => e.role === role).map((e) => e.id);
    expect(manifest.filter((e) => e.role === "cpu" && e.required)).toHaveLength(profile.sockets);
    // The model needs the inlet: a sensor the config does not match would leave every host without one.
    expect(roles("inlet")).toHaveLength(1);
    expect(roles("drive")).toHaveLength(profile.drives.length);
    expect(roles("coolant")).toHaveLength(profile.coolingKind === "liquid" ? 1 : 0);
    // A power reading only where the simulated machine has a meter (the PowerEdge's BMC; the Mac has none).
    expect(manifest.filter((e) => e.kind === "power")).toHaveLength(profileId.startsWith("macpro") ? 0 : 1);
    // No temperature the agent would publish without limits (an id the config's globs miss).
    expect(manifest.filter((e) => e.kind === "temperature" && e.role === undefined).map((e) => e.id)).toEqual([]);
  });
});
