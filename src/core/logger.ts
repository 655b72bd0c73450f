import { pino, type Logger, type LevelWithSilent } from "pino";

export type { Logger };

export const LOG_LEVELS: readonly LevelWithSilent[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/** JSON lines on stderr: journald keeps them, and stdout stays free for command output. */
export function createLogger(level: LevelWithSilent = "info", name = "coolfleet"): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}

export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
