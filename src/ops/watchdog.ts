import type { Clock } from "../core/clock.js";
import type { ServiceNotifier } from "./sd-notify.js";

/**
 * The watchdog interval systemd asked for (WatchdogSec=, passed as WATCHDOG_USEC), in ms; undefined when there is
 * none or it is meant for another process (WATCHDOG_PID names a different PID), as sd_watchdog_enabled() decides.
 */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env, pid = process.pid): number | undefined {
  const usec = Number(env["WATCHDOG_USEC"]);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  const forPid = env["WATCHDOG_PID"];
  if (forPid !== undefined && forPid !== "" && Number(forPid) !== pid) return undefined;
  return usec / 1000;
}

/**
 * Feeds systemd's watchdog from proof of work — a completed control period, a planning tick — never from a bare
 * timer, so a service whose loop hangs or keeps failing is killed and restarted. Pings at most every third of the
 * interval (systemd's own advice), which leaves two chances before the deadline.
 */
export class WatchdogFeeder {
  private lastPingMs: number | undefined;
  readonly minGapMs: number | undefined;

  constructor(
    private readonly notifier: ServiceNotifier,
    private readonly clock: Clock,
    intervalMs: number | undefined,
  ) {
    this.minGapMs = intervalMs === undefined || !notifier.enabled ? undefined : intervalMs / 3;
  }

  get enabled(): boolean {
    return this.minGapMs !== undefined;
  }

  /** Call once per unit of completed work; pings when the last ping is old enough. Returns whether it pinged. */
  workCompleted(status?: () => string): boolean {
    if (this.minGapMs === undefined) return false;
    const nowMs = this.clock.nowMs();
    if (this.lastPingMs !== undefined && nowMs - this.lastPingMs < this.minGapMs) return false;
    if (!this.notifier.watchdog(status?.())) return false;
    this.lastPingMs = nowMs;
    return true;
  }
}
