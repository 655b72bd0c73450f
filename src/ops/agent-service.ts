import type { AgentConfig } from "../config/agent-schema.js";
import { describeActuatorGroup } from "../config/describe-group.js";
import type { Clock } from "../core/clock.js";
import type { Logger } from "../core/logger.js";
import type { TickReport } from "../agent/agent.js";
import { firmwareModesFile, readChannelModes, recordFirmwareModes } from "./firmware-modes.js";
import { ServiceNotifier } from "./sd-notify.js";
import { watchdogIntervalMs, WatchdogFeeder } from "./watchdog.js";

/** What the agent command needs from the agent to report to systemd. */
export interface SupervisedAgent {
  onPeriod(listener: (report: TickReport) => void): void;
}

export interface AgentServiceOptions {
  config: AgentConfig;
  hostId: string;
  clock: Clock;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Replaces the notifier made from the environment (tests). */
  notifier?: ServiceNotifier;
}

/** The agent's side of its systemd unit: READY once in control, WATCHDOG per completed period, STOPPING on the way out. */
export interface AgentServiceNotifications {
  ready(): Promise<void>;
  stopping(): Promise<void>;
}

export function superviseAgent(agent: SupervisedAgent, options: AgentServiceOptions): AgentServiceNotifications {
  const { config, hostId, clock, logger } = options;
  const env = options.env ?? process.env;
  const notifier = options.notifier ?? ServiceNotifier.fromEnv(logger, env);
  const intervalMs = watchdogIntervalMs(env);
  const feeder = new WatchdogFeeder(notifier, clock, intervalMs);
  if (feeder.enabled && intervalMs !== undefined && config.periodMs > intervalMs / 2) {
    logger.warn({ periodMs: config.periodMs, watchdogMs: intervalMs }, "periodMs is more than half of WatchdogSec: one slow period gets the agent killed; raise WatchdogSec");
  }
  agent.onPeriod((report) => feeder.workCompleted(() => periodStatus(report)));
  return {
    ready: () => notifier.ready(`controlling ${hostId}: ${describeOutputs(config)}; broker ${config.broker.url}`),
    stopping: () => notifier.stopping("handing fans back to firmware"),
  };
}

/** One STATUS= line per watchdog ping: what `systemctl status coolfleet-agent` shows. */
export function periodStatus(report: TickReport): string {
  const pump = report.outputs.pumpPct !== undefined ? `, pump ${report.outputs.pumpPct.toFixed(0)} %` : "";
  return `period ${report.seq}: ${report.mode}, fans ${report.outputs.fanPct.toFixed(0)} %${pump}${report.reasons.length > 0 ? ` (${report.reasons.join("; ")})` : ""}`;
}

function describeOutputs(config: AgentConfig): string {
  const pump = config.pump ? ` and pump (${describeActuatorGroup(config.pump)})` : "";
  return `fans (${describeActuatorGroup(config.fans)})${pump}`;
}

/**
 * Under systemd (RuntimeDirectory= set), records each channel's mode before the agent takes control, for
 * `--restore-firmware`. Failure is logged, not fatal: restore then falls back to the automatic default.
 */
export function recordFirmwareModesForRestore(config: AgentConfig, clock: Clock, logger: Logger, env: NodeJS.ProcessEnv = process.env): void {
  const file = firmwareModesFile(env);
  if (!file) return;
  try {
    const record = recordFirmwareModes(file, readChannelModes(config), clock.nowMs());
    logger.debug({ file, channels: record.channels.length }, "recorded firmware fan modes for --restore-firmware");
  } catch (err) {
    logger.warn({ err: err instanceof Error ? err.message : String(err), file }, "cannot record firmware fan modes; --restore-firmware will use the automatic default");
  }
}
