import { z } from "zod";
import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { SmcFanActuator } from "./fan-actuator.js";
import { SmcHelperClient } from "./helper-client.js";
import { SmcKey, type HelloResult } from "./protocol.js";
import { SmcSensorSource } from "./sensor-source.js";

/** The agent config block for Mac fans through the SMC helper. Docs: docs/mac.md. */
export const SmcConfig = z
  .object({
    socketPath: z.string().min(1).default("/var/run/coolfleet-smc.sock").describe("Unix socket of the privileged SMC helper."),
    /** Temperature keys to report; default: every key the helper lists. */
    tempKeys: z.array(SmcKey).max(64).optional().describe("SMC temperature keys to report (e.g. TC0P); default every key the helper lists."),
    pollMs: z.number().int().min(200).max(60_000).default(2000).describe("Period of the helper polling loop; readings are cached with their sample time."),
    timeoutMs: z.number().int().min(50).max(30_000).default(2000).describe("Time to wait for the helper to answer one request."),
    /** The helper gives the fans back to the SMC when the agent is quiet this long. */
    leaseMs: z.number().int().min(1000).max(600_000).default(15_000).describe("The helper hands the fans back to the SMC when the agent is quiet this long."),
  })
  .strict();
export type SmcConfig = z.infer<typeof SmcConfig>;

export interface SmcBinding {
  client: SmcHelperClient;
  hello: HelloResult;
  sensors: SmcSensorSource;
  fans: SmcFanActuator;
}

/** Connects to the helper, learns the machine (hello), and builds the sensor source and fan actuator. */
export async function createSmcBinding(config: SmcConfig, deps: { clock: Clock; logger?: Logger }): Promise<SmcBinding> {
  const logger = deps.logger ? { logger: deps.logger } : {};
  const client = new SmcHelperClient({ socketPath: config.socketPath, clock: deps.clock, timeoutMs: config.timeoutMs, ...logger });
  const hello = await client.hello();
  const sensors = new SmcSensorSource(client, { clock: deps.clock, pollMs: config.pollMs, ...(config.tempKeys ? { tempKeys: config.tempKeys } : {}), ...logger });
  const fans = new SmcFanActuator(client, { clock: deps.clock, channels: hello.fans.length, leaseMs: Math.min(config.leaseMs, hello.maxLeaseMs), ...logger });
  return { client, hello, sensors, fans };
}
