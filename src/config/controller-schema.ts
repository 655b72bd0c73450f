import { z } from "zod";

/** The controller's config schema: the single place for its defaults. Docs: docs/configuration.md. */
export const CONTROLLER_CONFIG_VERSION = 1;

export const ControllerBrokerConfig = z
  .object({
    url: z.string().regex(/^(mqtts?|wss?|tcp|ssl):\/\//, "an mqtt://, mqtts://, ws:// or wss:// URL").default("mqtt://127.0.0.1:1883"),
    clientId: z.string().min(1).max(128).default("coolfleet-controller"),
    username: z.string().min(1).optional(),
    passwordFile: z.string().min(1).optional(),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4),
    keepaliveS: z.number().int().min(5).max(600).default(30),
  })
  .strict();

export const HttpConfig = z
  .object({
    host: z.string().min(1).default("127.0.0.1"),
    port: z.number().int().min(0).max(65535).default(8080),
  })
  .strict();

export const StoreConfig = z
  .object({
    kind: z.literal("sqlite").default("sqlite"),
    /** SQLite database file; ":memory:" keeps nothing across restarts. */
    path: z.string().min(1).default("/var/lib/coolfleet/controller.db"),
    /** Raw telemetry older than this is deleted by the retention job (roll-ups stay). */
    rawRetentionHours: z.number().positive().default(72),
    featureRetentionHours: z.number().positive().default(24 * 30),
    rollUpCron: z.string().min(1).default("*/5 * * * *"),
    retentionCron: z.string().min(1).default("17 * * * *"),
  })
  .strict();

export const PlannerConfig = z
  .object({
    /** b1: stepwise fan curve (stock BMC behaviour); b2: cascade PID. */
    policy: z.enum(["b1", "b2"]).default("b2"),
    /** The agents' control period: the planning time step per host (each host is planned once per telemetry message). */
    periodMs: z.number().int().min(200).max(60_000).default(1000),
    /** Telemetry arriving within this window is planned together in one batch (latency vs batching). */
    batchMs: z.number().int().min(1).max(5000).default(50),
    /** Skip a command whose set-point did not change while the previous lease still has over half its time. */
    skipUnchanged: z.boolean().default(true),
    /** Command lease in control periods of the host; capped by the host's own maxLeaseMs. */
    leasePeriods: z.number().int().min(2).max(60).default(5),
  })
  .strict();

export const ControllerConfig = z
  .object({
    version: z.literal(CONTROLLER_CONFIG_VERSION),
    broker: ControllerBrokerConfig.default(ControllerBrokerConfig.parse({})),
    http: HttpConfig.default(HttpConfig.parse({})),
    store: StoreConfig.default(StoreConfig.parse({})),
    planner: PlannerConfig.default(PlannerConfig.parse({})),
  })
  .strict();
export type ControllerConfig = z.infer<typeof ControllerConfig>;
