import type { TelemetryStore } from "../../src/controller/store/telemetry-store.js";
import type { HostBirth, Telemetry } from "../../src/protocol/index.js";
import { birth, reading, telemetry } from "../contract/store-contract.js";

/**
 * Fills a controller store with what air-cooled hosts would have sent: a birth whose inlet has limits (the model
 * needs an inlet reading) and one telemetry message per second in which the CPU settles, with a 40 s time
 * constant, towards a temperature set by load, fan and inlet, while load and fan move. Enough periods per host
 * for the 70/10/20 time split to give every part rows (each needs more than 121 periods). The last message is
 * sent at endMs (default: now, as a live controller's store would have it).
 */
export async function storeAirFleet(store: TelemetryStore, hostIds: readonly string[], periods = 1300, endMs = Date.now()): Promise<void> {
  for (const [h, host] of hostIds.entries()) {
    const b = birth(host);
    const withInlet: HostBirth = { ...b, sensors: b.sensors.map((s) => (s.id === "inlet" ? { ...s, targetC: 35, criticalC: 45 } : s)) };
    await store.upsertHost(withInlet);
    let cpuC = 50;
    const batch: Telemetry[] = [];
    for (let s = 0; s < periods; s++) {
      const utilPct = 50 + 40 * Math.sin((s + 37 * h) / 90);
      const fanPct = 30 + 10 * Math.floor(((s + 50 * h) % 240) / 60);
      const inletC = 24 + h;
      const steadyC = inletC + 0.45 * utilPct + 1200 / (fanPct + 20);
      cpuC += (steadyC - cpuC) / 40;
      batch.push(
        telemetry(host, s, {
          ts: endMs - (periods - 1 - s) * 1000,
          outputs: { fanPct },
          readings: [reading("cpu0", "temperature", Math.round(cpuC * 10) / 10), reading("inlet", "temperature", inletC), reading("cpu:util", "load", Math.round(utilPct))],
        }),
      );
    }
    for (let i = 0; i < batch.length; i += 500) await store.appendTelemetry(batch.slice(i, i + 500));
  }
}
