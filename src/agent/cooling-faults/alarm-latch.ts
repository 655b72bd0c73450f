/** What one period says about a condition: present, absent, or no evidence either way. */
export type Observation = "present" | "absent" | "unknown";

export type LatchChange = "raised" | "cleared" | undefined;

/**
 * Hysteresis for one alarm: raised after raiseAfter consecutive "present" periods, cleared after clearAfter
 * consecutive "absent" ones. "unknown" (an implausible or missing reading) neither counts nor breaks a run, so a
 * sentinel between two low readings does not restart detection, and a blind sensor never clears an alarm.
 */
export class AlarmLatch {
  private presentRun = 0;
  private absentRun = 0;
  private raisedAtMs: number | undefined;

  constructor(
    private readonly raiseAfter: number,
    private readonly clearAfter: number,
  ) {}

  get active(): boolean {
    return this.raisedAtMs !== undefined;
  }

  /** When the alarm was raised; undefined while it is not active. */
  get sinceMs(): number | undefined {
    return this.raisedAtMs;
  }

  observe(observation: Observation, nowMs: number): LatchChange {
    if (observation === "unknown") return undefined;
    if (observation === "present") {
      this.absentRun = 0;
      this.presentRun++;
      if (this.raisedAtMs === undefined && this.presentRun >= this.raiseAfter) {
        this.raisedAtMs = nowMs;
        return "raised";
      }
      return undefined;
    }
    this.presentRun = 0;
    this.absentRun++;
    if (this.raisedAtMs !== undefined && this.absentRun >= this.clearAfter) {
      this.raisedAtMs = undefined;
      return "cleared";
    }
    return undefined;
  }
}
