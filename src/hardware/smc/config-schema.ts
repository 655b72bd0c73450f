import { z } from "zod";
import { SmcKey } from "./protocol.js";

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
