import { z } from "zod";

/**
 * The controller's config schema: the single place for its defaults and for what each key means (the .describe()
 * texts and examples are what docs/configuration.md and `coolfleet config example controller` are generated from).
 */
export const CONTROLLER_CONFIG_VERSION = 1;

export const ControllerBrokerConfig = z
  .object({
    url: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\//, "an mqtt://, mqtts://, ws:// or wss:// URL")
      .default("mqtt://127.0.0.1:1883")
      .describe("MQTT broker: mqtt://host:port, mqtts:// for TLS, ws:// or wss:// for WebSockets."),
    clientId: z
      .string()
      .min(1)
      .max(128)
      .default("coolfleet-controller")
      .describe("MQTT client id of a persistent session: the broker keeps QoS 1 telemetry for the controller while it restarts. Unique per controller."),
    username: z.string().min(1).optional().meta({ description: "MQTT user name, when the broker requires one.", examples: ["controller"] }),
    passwordFile: z.string().min(1).optional().meta({ description: "File holding the MQTT password (never the password itself in the config).", examples: ["/etc/coolfleet/controller-mqtt-password"] }),
    caFile: z.string().min(1).optional().meta({ description: "PEM file of the CA that signed the broker's certificate (mqtts://); without it the system's trusted CAs are used. See docs/security.md.", examples: ["/etc/coolfleet/tls/ca.crt"] }),
    certFile: z.string().min(1).optional().meta({ description: "PEM client certificate the controller authenticates with (mqtts://; with keyFile). Made by `coolfleet certs controller`; its CN is the broker user name.", examples: ["/etc/coolfleet/tls/controller.crt"] }),
    keyFile: z.string().min(1).optional().meta({ description: "PEM private key of certFile, readable only by the controller's user.", examples: ["/etc/coolfleet/tls/controller.key"] }),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4).describe("4 = MQTT 3.1.1 (works with any broker), 5 = MQTT 5."),
    keepaliveS: z.number().int().min(5).max(600).default(30).describe("MQTT keepalive in seconds."),
  })
  .strict();

export const HttpConfig = z
  .object({
    host: z.string().min(1).default("127.0.0.1").describe("Address the dashboard, the JSON API and /metrics listen on; put a reverse proxy with TLS in front to expose them."),
    port: z.number().int().min(0).max(65535).default(8080).describe("TCP port of the dashboard, API and /metrics (0 picks a free one)."),
  })
  .strict();

/** DynamoDB table names: 3-255 of A-Z a-z 0-9 _ - . (the service's own rule, checked before any request). */
const DYNAMODB_TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

export const DynamoStoreConfig = z
  .object({
    region: z
      .string()
      .regex(/^[a-z0-9-]{2,32}$/, "an AWS region such as eu-west-1")
      .meta({ description: "AWS region of the table. Credentials are not configured here: the AWS SDK's default chain supplies them (environment, shared config/profile, instance or task role).", examples: ["eu-west-1"] }),
    endpoint: z
      .string()
      .regex(/^https?:\/\/[^\s/]+/, "an http:// or https:// URL")
      .optional()
      .meta({ description: "Another endpoint than AWS's for the region: dynalite or DynamoDB Local (tests, development). Unset in production.", examples: ["http://127.0.0.1:8000"] }),
    tableName: z
      .string()
      .regex(DYNAMODB_TABLE_NAME, "3-255 of A-Z a-z 0-9 _ - .")
      .default("coolfleet")
      .describe("The one table the store uses (layout: docs/storage.md). One table per site; controllers sharing a site share it."),
    createTable: z
      .boolean()
      .default(false)
      .describe("Create the table (on-demand capacity) at start when it does not exist. Leave false in production, where the table is made by infrastructure code with the capacity, backups and alarms it needs."),
  })
  .strict();

export const StoreConfig = z
  .object({
    kind: z.enum(["sqlite", "dynamodb"]).default("sqlite").describe("Storage backend: sqlite (WAL, one file; the embedded default) or dynamodb (Amazon DynamoDB, for fleets that outgrow one machine; needs the dynamodb block)."),
    path: z.string().min(1).default("/var/lib/coolfleet/controller.db").describe('SQLite database file (kind sqlite); ":memory:" keeps nothing across restarts.'),
    dynamodb: DynamoStoreConfig.optional().describe("The DynamoDB table (kind dynamodb): region, optional endpoint, table name."),
    rawRetentionHours: z.number().positive().default(72).describe("Raw telemetry older than this is deleted by the retention job (its roll-ups stay, for rollUpRetentionHours)."),
    rollUpRetentionHours: z
      .number()
      .positive()
      .default(24 * 400)
      .describe(
        "Roll-up buckets (the per-minute summaries of raw telemetry) that ended longer ago than this are deleted; at least rawRetentionHours. The default, 400 days, keeps a year plus a margin for year-over-year views.",
      ),
    featureRetentionHours: z.number().positive().default(24 * 30).describe("Extracted feature windows (the model's training data) older than this are deleted."),
    commandRetentionHours: z
      .number()
      .positive()
      .default(72)
      .describe("Commands sent and acks received longer ago than this are deleted (a fleet sends about one command per host every few seconds)."),
    transitionRetentionHours: z.number().positive().default(24 * 30).describe("State-machine transitions older than this are deleted; each host's current state is kept."),
    rollUpCron: z.string().min(1).default("*/5 * * * *").describe("When raw telemetry is rolled up into per-minute buckets (cron syntax)."),
    retentionCron: z.string().min(1).default("17 * * * *").describe("When the retention job deletes old raw telemetry, roll-ups, features, commands, acks and transitions (cron syntax)."),
  })
  .strict()
  // Raw telemetry outliving its summary would leave a gap in the long views once the roll-ups go. (A value that is not
  // positive is already reported by its own key.)
  .refine((store) => !(store.rawRetentionHours > 0 && store.rollUpRetentionHours > 0) || store.rollUpRetentionHours >= store.rawRetentionHours, {
    path: ["rollUpRetentionHours"],
    message: "must be at least store.rawRetentionHours (raw telemetry must not outlive its roll-ups)",
  });

export const ModelConfig = z
  .object({
    dir: z.string().min(1).default("/var/lib/coolfleet/models").describe("Model registry directory (versions and the promoted one); the same layout `coolfleet model train --out` writes."),
    trainCron: z
      .string()
      .min(1)
      .nullable()
      .default("40 3 * * *")
      .describe("When the mpc policy retrains from the store, SQLite or DynamoDB (cron syntax; null: only on demand). It reads the last 24 h of at most 50 hosts of each kind of cooling (docs/model.md). A candidate is promoted, and served at once, only if it beats the current model on held-out data."),
  })
  .strict();

export const PlannerConfig = z
  .object({
    policy: z
      .enum(["b1", "b2", "mpc"])
      .default("b2")
      .describe("Planning policy: b1 = stepwise fan curve (stock BMC behaviour), b2 = cascade PID, mpc = model-predictive control on the learned thermal model (B1 until a model is promoted)."),
    periodMs: z
      .number()
      .int()
      .min(200)
      .max(60_000)
      .default(1000)
      .describe("The agents' control period: the planning time step per host (each host is planned once per telemetry message)."),
    batchMs: z.number().int().min(1).max(5000).default(50).describe("Telemetry arriving within this window is planned together in one batch (latency vs batching)."),
    skipUnchanged: z.boolean().default(true).describe("Skip a command whose set-point did not change while the previous lease still has over half its time."),
    leasePeriods: z.number().int().min(2).max(60).default(5).describe("Command lease in control periods of the host; capped by the host's own maxLeaseMs."),
    model: ModelConfig.default(ModelConfig.parse({})).describe("The thermal model the mpc policy plans with: where its versions live and when it is retrained."),
  })
  .strict();

export const ControllerConfig = z
  .object({
    version: z.literal(CONTROLLER_CONFIG_VERSION).describe("Config file format version; older files are migrated in memory with a warning, newer ones refused."),
    broker: ControllerBrokerConfig.default(ControllerBrokerConfig.parse({})).describe("The MQTT broker the fleet reports to."),
    http: HttpConfig.default(HttpConfig.parse({})).describe("The dashboard, JSON API and Prometheus /metrics."),
    store: StoreConfig.default(StoreConfig.parse({})).describe("Where telemetry, features, commands and state transitions are kept."),
    planner: PlannerConfig.default(PlannerConfig.parse({})).describe("Set-point planning."),
  })
  .strict();
export type ControllerConfig = z.infer<typeof ControllerConfig>;
