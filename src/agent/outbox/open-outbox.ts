import type { AgentConfig } from "../../config/agent-schema.js";
import type { Clock } from "../../core/clock.js";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { DiskOutbox } from "./disk-outbox.js";
import { MemoryOutbox } from "./memory-outbox.js";
import type { Outbox } from "./outbox.js";

const HOUR_MS = 3_600_000;

/** The outbox the config asks for. An unusable outbox.dir is a config error at start, not a failure later. */
export function openOutbox(config: Pick<AgentConfig, "outbox" | "broker">, clock: Clock, logger: Logger): Outbox {
  const { outbox } = config;
  const maxAgeMs = outbox.maxAgeH * HOUR_MS;
  if (outbox.kind === "memory") return new MemoryOutbox({ maxMessages: config.broker.queueMax, maxAgeMs, clock, logger });
  try {
    return new DiskOutbox({ dir: outbox.dir, maxAgeMs, maxBytes: outbox.maxMiB * 1024 * 1024, fsyncMs: outbox.fsyncMs, clock, logger });
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CoolfleetError(
      ErrorCode.ConfigInvalid,
      `outbox.dir "${outbox.dir}": cannot keep the outbox there (${reason}). Make it a directory the agent's user can write ` +
        `(the systemd unit's StateDirectory= creates /var/lib/coolfleet), point outbox.dir elsewhere, or set outbox.kind: memory (lost on restart).`,
      { cause: err },
    );
  }
}
