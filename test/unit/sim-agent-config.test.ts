import { describe, expect, it } from "vitest";
import { loadProfile } from "../../firmware-sim/index.js";
import { hostCapabilities } from "../../src/agent/capabilities.js";
import { simAgentConfig } from "../../src/cli/sim-agent-config.js";

const OPTS = { hostId: "h1", root: "/tmp/none", brokerUrl: "mqtt://127.0.0.1:1883" };

describe("the simulated hosts' agent configs announce their hardware's watts", () => {
  it.each([
    ["poweredge-r740-air", 72, undefined, 52],
    ["poweredge-r750-liquid", 72, 18, 52],
    ["macpro-2019", 24, undefined, 24],
  ])("%s: fans %d W, pump %s W, leakage %d W at 85 °C", (profileId, fanW, pumpW, leakageW) => {
    const profile = loadProfile(profileId);
    const config = simAgentConfig(profileId, OPTS);
    // The profile's nominal figures: per fan times the fans, per socket times the sockets.
    expect(config.fans.maxPowerW).toBe(profile.fans.count * profile.fans.maxPowerW);
    expect(config.fans.maxPowerW).toBe(fanW);
    expect(config.pump?.maxPowerW).toBe(pumpW);
    expect(config.cpuLeakage).toEqual({ at85W: leakageW, doublingK: profile.cpu.leakageDoublingK });
    const caps = hostCapabilities(config, "full", config.pump ? "full" : undefined);
    expect(caps.fans.maxPowerW).toBe(fanW);
    expect(caps.pump?.maxPowerW).toBe(pumpW);
    expect(caps.cpuLeakage).toEqual({ at85W: leakageW, doublingK: 19 });
  });
});
