/** MQTT topic layout, version 1: coolfleet/v1/<hostId>/{telemetry,state,cmd,ack}. */
export const TOPIC_ROOT = "coolfleet/v1";

export type TopicKind = "telemetry" | "state" | "cmd" | "ack";

/** Host ids become topic levels, so they may not contain MQTT wildcards or separators. */
export const HOST_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export function isValidHostId(hostId: string): boolean {
  return HOST_ID_PATTERN.test(hostId);
}

export function hostTopic(hostId: string, kind: TopicKind): string {
  if (!isValidHostId(hostId)) {
    throw new Error(`invalid host id "${hostId}": use 1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit`);
  }
  return `${TOPIC_ROOT}/${hostId}/${kind}`;
}

/** Subscription filter for one kind of message from every host. */
export function fleetFilter(kind: TopicKind): string {
  return `${TOPIC_ROOT}/+/${kind}`;
}

export interface ParsedTopic {
  hostId: string;
  kind: TopicKind;
}

const KINDS: ReadonlySet<string> = new Set<TopicKind>(["telemetry", "state", "cmd", "ack"]);

export function parseTopic(topic: string): ParsedTopic | undefined {
  const parts = topic.split("/");
  if (parts.length !== 4 || `${parts[0]}/${parts[1]}` !== TOPIC_ROOT) return undefined;
  const hostId = parts[2] ?? "";
  const kind = parts[3] ?? "";
  if (!isValidHostId(hostId) || !KINDS.has(kind)) return undefined;
  return { hostId, kind: kind as TopicKind };
}
