import type { Logger } from "../core/logger.js";

/**
 * Runs `stop` once on SIGTERM or SIGINT and exits 0 when it finished (1 when it failed): the ordered shutdown of a
 * long-running command. A second signal while stopping is ignored rather than cutting the shutdown short.
 */
export function stopOnSignals(logger: Logger, what: string, stop: () => Promise<unknown>): void {
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, `stopping: ${what}`);
    stop().then(
      () => process.exit(0),
      (err: unknown) => {
        logger.fatal({ err: err instanceof Error ? err.message : String(err) }, "stop failed");
        process.exit(1);
      },
    );
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}
