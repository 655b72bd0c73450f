import type { HostBirth, SensorRole } from "../../protocol/index.js";
import type { FleetEvent, ReadModelHost } from "./read-model.js";

/** The controlled temperature with the least headroom on a host: what an operator looks at first. */
export interface HottestTemperature {
  id: string;
  role: SensorRole;
  tempC: number;
  targetC: number;
  criticalC: number;
}

/** A host as the API and the event stream return it: the read model's view plus its hottest temperature. */
export type ApiHost = ReadModelHost & { hottest: HottestTemperature | null };

export interface ApiHostDetail {
  view: ApiHost;
  /** null until the host has announced itself (the read model may know a host from stored state only). */
  birth: HostBirth | null;
}

/** FleetEvent as sent on /api/events: host lists carry `hottest`, the rest pass through unchanged. */
export type ApiFleetEvent = Exclude<FleetEvent, { type: "hosts" }> | { type: "hosts"; hosts: ApiHost[] };

export type ApiFleetEventType = ApiFleetEvent["type"];

/** Body of every error response. */
export interface ApiError {
  error: string;
}
