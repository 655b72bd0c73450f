import { StepwiseFanCurve } from "../../firmware-sim/devices/firmware-fan-curve.js";
import type { HostProfile } from "../../firmware-sim/profiles/index.js";
import { matchLimits } from "../../src/agent/controlled-sensors.js";
import type { AgentConfig } from "../../src/config/agent-schema.js";
import type { Reading } from "../../src/protocol/index.js";
import type { AgentDecision } from "./bench-agent.js";

/**
 * The machine with nothing of coolfleet driving it: the firmware's own automatic fan curve (L0) — the profile's
 * `firmwareFanCurve` on the hottest CPU reading, with the simulated BMC's and SMC's 3 °C hysteresis — and, on a
 * liquid-cooled host, the pump left at the CDU's own setting. Only the `fw` benchmark row uses it.
 */
export class BenchFirmware {
  private readonly curve: StepwiseFanCurve;
  private fanPct: number;

  constructor(
    profile: HostProfile,
    private readonly config: AgentConfig,
    startFanPct: number,
  ) {
    this.curve = new StepwiseFanCurve(profile.firmwareFanCurve);
    this.fanPct = startFanPct;
  }

  /** One period: the fans follow the curve; with no trusted CPU reading they hold their step. */
  decide(readings: readonly Reading[]): AgentDecision {
    const cpuC = matchLimits(readings, this.config.temperatures)
      .filter((t) => t.role === "cpu" && t.trusted && t.tempC !== null)
      .map((t) => t.tempC as number);
    if (cpuC.length > 0) this.fanPct = this.curve.update(Math.max(...cpuC));
    // No agent mode fits "the firmware decides"; "local" (the host decides for itself) is the nearest.
    return { outputs: { fanPct: this.fanPct }, mode: "local" };
  }
}
