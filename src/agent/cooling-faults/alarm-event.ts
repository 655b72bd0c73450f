import type { AlarmKind } from "../../protocol/index.js";

/** An alarm raised or cleared this period, with what the log should say about it. */
export interface AlarmEvent {
  kind: AlarmKind;
  source: string;
  change: "raised" | "cleared";
  detail: Record<string, unknown>;
}

/** An alarm in force. */
export interface ActiveAlarm {
  kind: AlarmKind;
  source: string;
  sinceMs: number;
}
