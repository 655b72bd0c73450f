import type { HostView } from "../types.js";
import type { ApiFleetEvent, ApiHost, HottestTemperature } from "./api-types.js";
import type { FleetEvent, ReadModelHost } from "./read-model.js";

/**
 * The trusted controlled temperature with the largest tempC − targetC (least headroom); null when none is trusted.
 * Untrusted readings are left out: a stuck or out-of-range sensor must not look like the hottest spot.
 */
export function hottestTemperature(view: Pick<HostView, "temperatures">): HottestTemperature | null {
  let hottest: HottestTemperature | null = null;
  for (const t of view.temperatures) {
    if (t.quality !== "ok" || t.tempC === null || !Number.isFinite(t.tempC)) continue;
    if (hottest === null || t.tempC - t.targetC > hottest.tempC - hottest.targetC) {
      hottest = { id: t.id, role: t.role, tempC: t.tempC, targetC: t.targetC, criticalC: t.criticalC };
    }
  }
  return hottest;
}

export function toApiHost(view: ReadModelHost): ApiHost {
  return { ...view, hottest: hottestTemperature(view) };
}

export function toApiEvent(event: FleetEvent): ApiFleetEvent {
  return event.type === "hosts" ? { type: "hosts", hosts: event.hosts.map(toApiHost) } : event;
}
