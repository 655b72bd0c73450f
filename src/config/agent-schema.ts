import { z } from "zod";
import { IpmiConfig } from "../hardware/ipmi/config.js";
import { ModbusDeviceConfig } from "../hardware/modbus/config-schema.js";
import { SmcConfig } from "../hardware/smc/config-schema.js";
import { HOST_ID_PATTERN, SensorRole } from "../protocol/index.js";

/**
 * The agent's config schema: the single place for its defaults and for what each key means (the .describe()
 * texts and examples are what docs/configuration.md and `coolfleet config example agent` are generated from).
 */
export const AGENT_CONFIG_VERSION = 1;

const pct = z.number().min(0).max(100);
const positiveMs = z.number().int().positive();

export const BrokerConfig = z
  .object({
    url: z
      .string()
      .regex(/^(mqtts?|wss?|tcp|ssl):\/\//, "an mqtt://, mqtts://, ws:// or wss:// URL")
      .default("mqtt://127.0.0.1:1883")
      .describe("MQTT broker: mqtt://host:port, mqtts:// for TLS, ws:// or wss:// for WebSockets."),
    clientId: z.string().min(1).max(128).optional().meta({ description: 'MQTT client id; defaults to "coolfleet-agent-<hostId>".', examples: ["coolfleet-agent-rack12-node07"] }),
    username: z.string().min(1).optional().meta({ description: "MQTT user name, when the broker requires one.", examples: ["rack12-node07"] }),
    passwordFile: z.string().min(1).optional().meta({ description: "File holding the MQTT password (never the password itself in the config).", examples: ["/etc/coolfleet/mqtt-password"] }),
    caFile: z.string().min(1).optional().meta({ description: "PEM file of the CA that signed the broker's certificate (mqtts://); without it the system's trusted CAs are used. See docs/security.md.", examples: ["/etc/coolfleet/tls/ca.crt"] }),
    certFile: z.string().min(1).optional().meta({ description: "PEM client certificate the agent authenticates with (mqtts://; with keyFile). Made by `coolfleet certs host`; its CN is the broker user name.", examples: ["/etc/coolfleet/tls/rack12-node07.crt"] }),
    keyFile: z.string().min(1).optional().meta({ description: "PEM private key of certFile, readable only by the agent's user.", examples: ["/etc/coolfleet/tls/rack12-node07.key"] }),
    protocolVersion: z.union([z.literal(4), z.literal(5)]).default(4).describe("4 = MQTT 3.1.1 (works with any broker), 5 = MQTT 5."),
    keepaliveS: z.number().int().min(5).max(600).default(30).describe("MQTT keepalive: the broker publishes the Last Will (host offline) after 1.5 times this without traffic."),
    reconnectMinMs: positiveMs.default(1000).describe("First delay before reconnecting to a lost broker; doubles (with jitter) up to reconnectMaxMs."),
    reconnectMaxMs: positiveMs.default(30_000).describe("Longest delay between reconnection attempts."),
    queueMax: z
      .number()
      .int()
      .min(1)
      .max(1_000_000)
      .default(3600)
      .describe("With outbox.kind memory: most messages held in memory while the broker is unreachable; the oldest telemetry is dropped (and counted) first. The disk outbox is bounded by outbox.maxMiB and outbox.maxAgeH instead."),
  })
  .strict();

export const TemperatureLimit = z
  .object({
    match: z.string().min(1).describe('Glob on sensor ids ("*" matches any run of characters), e.g. "coretemp.*:Package id *"; `coolfleet agent --list-sensors` shows the ids.'),
    role: SensorRole.describe("What the sensor measures; actuator groups cool the roles they list."),
    targetC: z.number().min(0).max(150).describe("Control target: local control and the planner keep the sensor at or below it."),
    criticalC: z.number().min(0).max(150).describe("At or above this the safety governor forces full cooling, whatever anyone asked for. Must be above targetC and below plausibility.temperatureMaxC (readings above that are discarded as out of range)."),
    required: z.boolean().default(false).describe("A bad reading (missing, stale, stuck, out of range) on a required sensor puts the outputs at their failsafe level."),
  })
  .strict();
export type TemperatureLimit = z.infer<typeof TemperatureLimit>;

export const PlausibilityConfig = z
  .object({
    temperatureMinC: z.number().default(-10).describe("Temperatures below this are out of range (a broken sensor), not cold. Must be below temperatureMaxC and every targetC."),
    temperatureMaxC: z.number().default(125).describe("Temperatures above this are out of range; 127-129 °C are common sentinel values."),
    fanMaxRpm: z.number().positive().default(30_000).describe("Fan speeds above this are out of range."),
    maxRateCPerS: z.number().positive().default(20).describe("A temperature moving faster than this is an impossible rate (a spike), not physics."),
    stuckAfterS: z.number().positive().default(20).describe("A value unchanged this long while its peers or the CPU load moved is stuck."),
    staleAfterS: z.number().positive().default(10).describe("A reading older than this is stale (slow sources such as IPMI). Must be longer than every slow loop's period (ipmi.sweepPeriodMs, modbus[].pollMs, smc.pollMs, sysinfo.pollMs) plus one round."),
  })
  .strict();
export type PlausibilityConfig = z.infer<typeof PlausibilityConfig>;

/** One sensor of a zone, as phosphor-pid-control and fscd weigh them: the zone's local PID sees tempC + offsetC. */
export const ZoneSensor = z
  .object({
    match: z.string().min(1).describe("Glob on sensor ids, as in temperatures[].match."),
    offsetC: z.number().min(-20).max(20).default(0).describe("Added to the reading before the zone's local PID compares it with its target (the safety override always sees the raw reading)."),
  })
  .strict();

export const ACTUATOR_DRIVERS = ["hwmon", "ipmi", "modbus", "smc"] as const;

export const ActuatorGroupConfig = z
  .object({
    driver: z
      .enum(ACTUATOR_DRIVERS)
      .default("hwmon")
      .describe("How the outputs reach the hardware: hwmon pwm files, IPMI (Dell OEM fan commands, needs the ipmi block), a Modbus pump or cooling unit (needs modbusDevice), or the Mac SMC helper (needs the smc block)."),
    chip: z.string().min(1).optional().meta({ description: "hwmon chip name, as in /sys/class/hwmon/hwmon*/name (driver hwmon).", examples: ["nct6798"] }),
    modbusDevice: z.string().min(1).optional().meta({ description: "Name of the modbus[] device whose pump this group drives (driver modbus).", examples: ["cdu"] }),
    sensors: z
      .array(ZoneSensor)
      .min(1)
      .optional()
      .meta({
        description: "The zone: only these sensors (among the group's roles) drive this group, each with an offset. Without it, every controlled sensor of the group's roles does.",
        examples: [[{ match: "ipmi:Temp@3.*", offsetC: 0 }, { match: "ipmi:Inlet Temp", offsetC: 30 }]],
      }),
    device: z.string().min(1).optional().meta({ description: "Substring of the chip's device path, to tell apart two chips of the same name.", examples: ["nct6775.656"] }),
    channels: z
      .array(z.number().int().min(1).max(32))
      .min(1)
      .meta({ description: "pwm channel numbers on that chip (pwm1 → 1), applesmc or SMC fan numbers, IPMI fan numbers (all are driven together), or [1] for a Modbus pump.", examples: [[1, 2, 3]] }),
    minPct: pct.default(20).describe("Lowest output the agent ever sets (0-100 %)."),
    maxPct: pct.default(100).describe("Highest output the agent ever sets (0-100 %)."),
    failsafePct: pct.default(100).describe("Output while a required sensor is bad or a control period fails; between minPct and maxPct."),
    upSlewPctPerS: z.number().positive().default(25).describe("Fastest rise of the output, percentage points per second (raising is allowed faster than lowering)."),
    downSlewPctPerS: z.number().positive().default(5).describe("Fastest fall of the output, percentage points per second, so fans do not hunt."),
    roles: z.array(SensorRole).min(1).default(["cpu", "drive"]).describe("Sensor roles this group cools; local control tracks the worst of them, and the birth announces them to the controller (its baselines drive the group from the same roles)."),
    maxPowerW: z
      .number()
      .positive()
      .max(10_000)
      .optional()
      .meta({
        description:
          "Electrical power of the whole group at 100 %, W (the fan or pump data sheet's maximum power, times the number of fans). The birth announces it: the MPC planner weighs cooling energy with it (the cube law below 100 %), and the controller's summary estimates the fleet's cooling power from it. Unset: the planner assumes a 2U PowerEdge's (six 12 W fans: 72 W; an 18 W pump).",
        examples: [72],
      }),
  })
  .strict();
export type ActuatorGroupConfig = z.infer<typeof ActuatorGroupConfig>;

export const PidConfig = z
  .object({
    kp: z.number().nonnegative().default(4).describe("Proportional gain, % output per °C above target."),
    ki: z.number().nonnegative().default(0.15).describe("Integral gain, % output per °C·s."),
    kd: z.number().nonnegative().default(0).describe("Derivative gain, % output per °C/s."),
  })
  .strict();
export type PidConfig = z.infer<typeof PidConfig>;

export const ControlConfig = z
  .object({
    pid: PidConfig.default({ kp: 4, ki: 0.15, kd: 0 }).describe("The local PID loop that runs whenever no controller command is in force."),
    hysteresisC: z.number().nonnegative().default(3).describe("The over-temperature override ends once every sensor is this far below its critical level..."),
    overrideHoldS: z.number().nonnegative().default(15).describe("...and has stayed there this long."),
  })
  .strict();

/** Speed-follow checks of one actuator group's tachometers (and, for pumps, flow meters); defaults differ per group. */
function speedFaultConfig(what: "fan" | "pump", d: { match: string; lowFraction: number; stallRpm: number; settleS: number }) {
  return z
    .object({
      enabled: z.boolean().default(true).describe(`Compare each ${what} reading with what the ${what} was commanded, and raise ${what}_failure when it stays far below.`),
      match: z.string().min(1).default(d.match).describe(`Glob on the ids of the ${what === "fan" ? "fan tachometers (readings of kind fan)" : "pump tachometers and flow meters (kind pump in rpm, kind flow)"} the ${what}s group drives; "*" takes them all.`),
      lowFraction: z.number().gt(0).lt(1).default(d.lowFraction).describe(`A reading below this fraction of the value learned for the commanded speed counts as low.`),
      stallRpm: z.number().nonnegative().default(d.stallRpm).describe(`An RPM reading below this while the ${what} is commanded to 20 % or more counts as low, learned or not (a seized rotor).`),
      settleS: z.number().positive().default(d.settleS).describe(`Spin-up and sensor delay: a reading is judged against the lowest command of the last settleS seconds, and the expected value per command is learned only after the command held this long.`),
      raiseAfterPeriods: z.number().int().min(1).max(600).default(3).describe("Consecutive low periods (on the median of the last three readings) before the alarm is raised."),
      clearAfterPeriods: z.number().int().min(1).max(3600).default(10).describe("Consecutive good periods before a raised alarm clears."),
    })
    .strict();
}

const FanFaultConfig = speedFaultConfig("fan", { match: "*", lowFraction: 0.5, stallRpm: 300, settleS: 10 });
const PumpFaultConfig = speedFaultConfig("pump", { match: "*", lowFraction: 0.6, stallRpm: 100, settleS: 20 });
export type SpeedFaultConfig = z.infer<typeof FanFaultConfig>;

export const CoolingFaultsConfig = z
  .object({
    fans: FanFaultConfig.default(FanFaultConfig.parse({})).describe("Fan failure: measured RPM against commanded speed."),
    pump: PumpFaultConfig.default(PumpFaultConfig.parse({})).describe("Pump failure: measured pump RPM and coolant flow against commanded duty."),
    boostStepPct: z.number().positive().max(100).default(5).describe("While a fan or pump failure is active, the fans' floor rises by this much each period until every temperature is at its target (or the fans are at maxPct)."),
    leakClearAfterPeriods: z.number().int().min(1).max(3600).default(10).describe("A leak alarm clears after the leak register has read clear this many periods in a row."),
    cannotCoolAfterS: z.number().positive().default(60).describe("cannot_cool is raised when a required temperature has stayed at or above its criticalC this long with every actuator group at its maxPct."),
    cannotCoolClearAfterPeriods: z.number().int().min(1).max(3600).default(10).describe("cannot_cool clears after every required temperature has been below criticalC − control.hysteresisC this many periods in a row."),
    lastResort: z
      .object({
        command: z
          .array(z.string().min(1))
          .min(1)
          .meta({ description: "Program and arguments, run without a shell (the first element must be an absolute path).", examples: [["/usr/sbin/shutdown", "-h", "+1"]] }),
        afterS: z.number().positive().default(120).describe("How long cannot_cool must have lasted, with evidence every period, before the command runs."),
        timeoutS: z.number().positive().default(30).describe("The command is killed after this long."),
      })
      .strict()
      .refine((r) => r.command[0]?.startsWith("/") === true, "lastResort.command[0] must be an absolute path")
      .optional()
      .meta({
        description: "What to run, once per agent run, when the host cannot be cooled: typically an orderly shutdown. Off unless set.",
        examples: [{ command: ["/usr/sbin/shutdown", "-h", "+1", "coolfleet: cannot cool this host"], afterS: 120 }],
      }),
  })
  .strict();
export type CoolingFaultsConfig = z.infer<typeof CoolingFaultsConfig>;

export const OUTBOX_KINDS = ["disk", "memory"] as const;

/** The agent's outbox: every telemetry message and ack is kept here until the broker acknowledged it (docs/outbox.md). */
export const OutboxConfig = z
  .object({
    kind: z
      .enum(OUTBOX_KINDS)
      .default("disk")
      .describe("disk: durable segment files in dir, kept across restarts and crashes. memory: held in memory only, bounded by broker.queueMax and lost on restart (for agents without a writable directory: the simulated agents of tests and the benchmark)."),
    dir: z.string().min(1).default("/var/lib/coolfleet/outbox").describe("Directory of the disk outbox, created if missing; must be writable by the agent's user and used by one agent only. The systemd unit's StateDirectory= provides /var/lib/coolfleet."),
    maxAgeH: z.number().positive().max(24 * 365).default(48).describe("Messages older than this many hours are dropped (and counted in telemetry's dropped field), oldest first."),
    maxMiB: z
      .number()
      .positive()
      .max(1024 * 1024)
      .default(1024)
      .describe("Most disk the outbox uses, in MiB; past it the oldest messages are dropped (and counted). 1024 holds about 4 days of 1 Hz telemetry from a 35-sensor host (3.1 KB a message)."),
    replayPerS: z.number().positive().max(10_000).default(20).describe("Backlog (messages not delivered on their first try, or found on disk at start) is replayed oldest first at most this many messages per second, marked historical; live telemetry always goes first."),
    fsyncMs: z.number().int().min(0).max(60_000).default(1000).describe("Appended messages are fsynced at least this often (0: after every message). A killed agent loses nothing either way; this bounds what a power loss can take."),
  })
  .strict();
export type OutboxConfig = z.infer<typeof OutboxConfig>;

export const AgentConfig = z
  .object({
    version: z.literal(AGENT_CONFIG_VERSION).describe("Config file format version; older files are migrated in memory with a warning, newer ones refused."),
    hostId: z
      .string()
      .regex(HOST_ID_PATTERN, "1-64 of A-Z a-z 0-9 . _ - starting with a letter or digit")
      .optional()
      .meta({ description: "The host's id in MQTT topics and on the dashboard; defaults to the machine's hostname (up to the first dot).", examples: ["rack12-node07"] }),
    root: z.string().min(1).default("/").describe('Filesystem root under which /sys and /proc are read: "/" in production, a simulated tree in tests.'),
    periodMs: z.number().int().min(100).max(60_000).default(1000).describe("Control period: sensors swept, outputs decided and telemetry published once per period."),
    maxLeaseMs: z.number().int().min(1000).max(600_000).default(30_000).describe("The longest a controller command is honoured after it arrives, whatever its expiresAt; at least two periods."),
    broker: BrokerConfig.default(BrokerConfig.parse({})).describe("The MQTT broker the agent reports to. The agent keeps the host safe without it."),
    outbox: OutboxConfig.default(OutboxConfig.parse({})).describe("Where telemetry and acks wait for the broker: on disk by default, so an outage or a restart loses nothing within the bounds."),
    temperatures: z
      .array(TemperatureLimit)
      .min(1)
      .meta({
        description: "Which temperature sensors are controlled, with their limits; the first matching entry wins.",
        examples: [
          [
            { match: "coretemp.*:Package id *", role: "cpu", targetC: 85, criticalC: 95, required: true },
            { match: "drivetemp.*", role: "drive", targetC: 45, criticalC: 55 },
          ],
        ],
      }),
    plausibility: PlausibilityConfig.default(PlausibilityConfig.parse({})).describe("When a reading is not believed (sensor plausibility checks)."),
    fans: ActuatorGroupConfig.meta({
      description: "The fan channels the agent drives, with their bounds and slew limits.",
      examples: [{ driver: "hwmon", chip: "nct6798", channels: [1, 2, 3], roles: ["cpu", "drive"] }],
    }),
    pump: ActuatorGroupConfig.optional().meta({
      description: "A liquid-cooling pump, driven like the fans (same keys).",
      examples: [{ chip: "d5next", channels: [1], minPct: 30, roles: ["cpu", "coolant"] }],
    }),
    cpuLeakage: z
      .object({
        at85W: z
          .number()
          .positive()
          .max(5_000)
          .meta({ description: "Static (leakage) power of all CPU sockets together at 85 °C die, W; without a measurement, 10-15 % of TDP per socket is typical of server CPUs.", examples: [52] }),
        doublingK: z.number().min(1).max(100).default(19).describe("Die temperature rise that doubles the leakage, K."),
      })
      .strict()
      .optional()
      .meta({
        description:
          "The CPUs' leakage power, which grows with die temperature: the MPC planner weighs the fan watts it would save against the leakage watts running hotter costs. The birth announces it. Unset: the planner assumes two sockets of 26 W at 85 °C (a PowerEdge R740 with two 205 W Xeons).",
        examples: [{ at85W: 24, doublingK: 19 }],
      }),
    control: ControlConfig.default(ControlConfig.parse({})).describe("Local control and the safety governor's override."),
    faults: CoolingFaultsConfig.default(CoolingFaultsConfig.parse({})).describe("Cooling faults the agent detects and survives on its own: failed fans and pumps, leaks, a host it cannot cool (docs/agent-control.md)."),
    ipmi: IpmiConfig.optional().meta({
      description: "A BMC read (and, with fans.driver ipmi, driven) through ipmitool: Dell PowerEdge. Its sensors appear as ipmi:<name>[@entity].",
      examples: [{ interface: "open" }],
    }),
    modbus: z
      .array(ModbusDeviceConfig)
      .optional()
      .meta({
        description: "Pumps and coolant distribution units on Modbus RTU serial lines; their sensors appear as <name>:<register>.",
        examples: [[{ name: "cdu", port: "/dev/ttyUSB0", map: "orv3-rpu" }]],
      }),
    sysinfo: z
      .object({ pollMs: z.number().int().min(1000).max(600_000).default(5000).describe("Period of the systeminformation loop (it forks helpers, so it runs apart from the control period).") })
      .strict()
      .optional()
      .meta({
        description: "CPU temperature (sysinfo:cpu) and load (cpu:util) through systeminformation, for macOS where there is no /proc or hwmon; replaces the /proc load and disk readings.",
        examples: [{ pollMs: 5000 }],
      }),
    smc: SmcConfig.optional().meta({ description: "The Mac SMC helper (a privileged daemon on a Unix socket) for Mac Pro temperatures and fans.", examples: [{ socketPath: "/var/run/coolfleet-smc.sock" }] }),
  })
  .strict();
export type AgentConfig = z.infer<typeof AgentConfig>;
