import type { HostTemperature, HostView } from "../../src/controller/types.js";
import type { Capabilities } from "../../src/protocol/index.js";

/** Capabilities of an air-cooled host: six fan channels under full control between minPct and maxPct, 30 s leases. */
export function fanCapabilities(minPct: number, maxPct: number): Capabilities {
  return { fans: { channels: 6, tier: "full", minPct, maxPct }, maxLeaseMs: 30_000 };
}

/** The required CPU sensor "cpu0" (target 90 °C, critical 97 °C); no reading (null) is "missing". */
export function cpuTemp(tempC: number | null): HostTemperature {
  return { id: "cpu0", role: "cpu", tempC, quality: tempC === null ? "missing" : "ok", targetC: 90, criticalC: 97, required: true };
}

/** The optional inlet sensor "inlet" (target 35 °C, critical 45 °C); no reading (null) is "missing". */
export function inletTemp(tempC: number | null): HostTemperature {
  return { id: "inlet", role: "inlet", tempC, quality: tempC === null ? "missing" : "ok", targetC: 35, criticalC: 45, required: false };
}

/**
 * What ingest would hold for host "h1", online and Running under remote control since time 0: air-cooled (fans
 * 20–100 %, now at 50 %, no pump), CPU at 70 °C with a 25 °C inlet, half load, no disk traffic, 300 W, one-second
 * period. Each test spreads its own differences over it.
 */
export function hostView(over: Partial<HostView> = {}): HostView {
  return {
    hostId: "h1",
    online: true,
    boot: "boot-0001",
    lastSeenMs: 0,
    state: "Running",
    capabilities: fanCapabilities(20, 100),
    periodMs: 1000,
    temperatures: [cpuTemp(70), inletTemp(25)],
    fanPct: 50,
    pumpPct: undefined,
    cpuUtilPct: 50,
    diskMBps: 0,
    powerW: 300,
    mode: "remote",
    ...over,
  };
}
