/**
 * Marks an encoded telemetry message as sent late (`"historical": true`, see docs/protocol.md). The payload is the
 * agent's own JSON object, so the field is put in front without parsing the whole message again.
 */
export function markHistorical(payload: string): string {
  if (!payload.startsWith("{") || payload.startsWith('{"historical":')) return payload;
  return payload === "{}" ? '{"historical":true}' : `{"historical":true,${payload.slice(1)}`;
}
