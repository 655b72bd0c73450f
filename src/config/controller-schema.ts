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

export const StoreConfig = z
  .object({
    kind: z.literal("sqlite").default("sqlite").describe("Storage backend; SQLite (WAL) is the embedded default."),
    path: z.string().min(1).default("/var/lib/coolfleet/controller.db").describe('SQLite database file; ":memory:" keeps nothing across restarts.'),
    rawRetentionHours: z.number().positive().default(72).describe("Raw telemetry older than this is deleted by the retention job (per-minute roll-ups stay)."),
    featureRetentionHours: z.number().positive().default(24 * 30).describe("Extracted feature windows (the model's training data) older than this are deleted."),
    rollUpCron: z.string().min(1).default("*/5 * * * *").describe("When raw telemetry is rolled up into per-minute buckets (cron syntax)."),
    retentionCron: z.string().min(1).default("17 * * * *").describe("When the retention job deletes old raw telemetry and features (cron syntax)."),
  })
  .strict();

export const PlannerConfig = z
  .object({
    policy: z.enum(["b1", "b2"]).default("b2").describe("Planning policy: b1 = stepwise fan curve (stock BMC behaviour), b2 = cascade PID."),
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
