import { AgentConfig } from "../config/agent-schema.js";
import { ControllerConfig } from "../config/controller-schema.js";
import type { ConfigKind } from "../config/migrations.js";
import { CoolfleetError, ErrorCode } from "../core/errors.js";

const agentKeys = new Set(Object.keys(AgentConfig.shape));
const controllerKeys = new Set(Object.keys(ControllerConfig.shape));
/** Keys only one kind has: what tells them apart (version and broker are in both). */
const AGENT_ONLY = [...agentKeys].filter((k) => !controllerKeys.has(k));
const CONTROLLER_ONLY = [...controllerKeys].filter((k) => !agentKeys.has(k));

export function parseConfigKind(raw: string): ConfigKind {
  if (raw === "agent" || raw === "controller") return raw;
  throw new CoolfleetError(ErrorCode.UsageInvalid, `config kind must be "agent" or "controller"; got "${raw}"`);
}

/** Which kind of config a file is, from the keys only one kind has; throws when they do not decide it. */
export function detectConfigKind(raw: unknown, source: string): ConfigKind {
  const keys = typeof raw === "object" && raw !== null && !Array.isArray(raw) ? Object.keys(raw) : [];
  const agent = keys.filter((k) => AGENT_ONLY.includes(k));
  const controller = keys.filter((k) => CONTROLLER_ONLY.includes(k));
  if (agent.length > 0 && controller.length === 0) return "agent";
  if (controller.length > 0 && agent.length === 0) return "controller";
  const why =
    agent.length > 0
      ? `it has agent keys (${agent.join(", ")}) and controller keys (${controller.join(", ")})`
      : `it has none of the agent keys (${AGENT_ONLY.join(", ")}) or controller keys (${CONTROLLER_ONLY.join(", ")})`;
  throw new CoolfleetError(ErrorCode.ConfigInvalid, `${source}: cannot tell whether this is an agent or a controller config: ${why}; pass --kind agent or --kind controller`);
}
