import type { Clock } from "../../core/clock.js";
import type { Logger } from "../../core/logger.js";
import { SmcFanActuator } from "./fan-actuator.js";
import { SmcHelperClient } from "./helper-client.js";
import type { HelloResult } from "./protocol.js";
import type { SmcConfig } from "./config-schema.js";
import { SmcSensorSource } from "./sensor-source.js";

export { SmcConfig } from "./config-schema.js";


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
