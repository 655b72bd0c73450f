import { z } from "zod";

/** Defaults of the Modbus binding, in one place: the schema below and the device both use them. */
export const MODBUS_DEFAULTS = { pollMs: 2000, retries: 2, retryBackoffMs: 50, reconnectMinMs: 1000, reconnectMaxMs: 30_000 } as const;

/**
 * The agent config block for one Modbus RTU device (a CDU or a pump drive). Serial settings default to the
 * register map's; set them only where the device was configured otherwise. Docs: docs/modbus.md.
 */
export const ModbusDeviceConfig = z
  .object({
    /** Prefix of reading ids: "cdu" → "cdu:flow". */
    name: z.string().regex(/^[a-z][a-z0-9_-]{0,31}$/, "1-32 of a-z 0-9 _ -, starting with a letter").default("cdu").describe("Name of the device: prefix of its reading ids (\"cdu\" gives \"cdu:flow\") and what pump.modbusDevice refers to."),
    /** Serial device; prefer /dev/serial/by-id/… so a replug that renumbers ttyUSBn still finds it. */
    port: z.string().min(1).describe("Serial device of the RS-485 / USB-serial line (e.g. /dev/ttyUSB0)."),
    /** A built-in map ("orv3-rpu", "simple-pump-drive") or a path to a map .json file. */
    map: z.string().min(1).describe("Register map: a built-in name (orv3-rpu, simple-pump-drive) or a path to a JSON map."),
    unitId: z.number().int().min(1).max(247).optional().describe("Modbus unit (slave) address; default the map's."),
    baudRate: z.number().int().positive().optional().describe("Line speed; default the map's."),
    parity: z.enum(["none", "even", "odd"]).optional().describe("Parity; default the map's."),
    dataBits: z.union([z.literal(7), z.literal(8)]).optional().describe("Data bits; default the map's."),
    stopBits: z.union([z.literal(1), z.literal(2)]).optional().describe("Stop bits; default the map's."),
    pollMs: z.number().int().min(100).max(600_000).default(MODBUS_DEFAULTS.pollMs).describe("Period of the device's own polling loop; readings are cached with their sample time."),
    /** Per request; at 9600 baud a 32-register read takes ~80 ms on the wire. */
    timeoutMs: z.number().int().min(20).max(10_000).default(500).describe("Time to wait for one answer before retrying."),
    retries: z.number().int().min(0).max(5).default(MODBUS_DEFAULTS.retries).describe("Retries per request after a time-out or a CRC error."),
    retryBackoffMs: z.number().int().min(0).max(5000).default(MODBUS_DEFAULTS.retryBackoffMs).describe("Pause before a retry."),
    reconnectMinMs: z.number().int().min(100).default(MODBUS_DEFAULTS.reconnectMinMs).describe("First delay before reopening a port that disappeared; doubles up to reconnectMaxMs."),
    reconnectMaxMs: z.number().int().min(100).default(MODBUS_DEFAULTS.reconnectMaxMs).describe("Longest delay between attempts to reopen the port."),
    /** How often the pump duty is rewritten while the agent holds manual mode; keep it well under the device's lease. */
    renewMs: z.number().int().min(100).default(10_000).describe("How often the pump duty is rewritten while in manual mode, so the unit's manual-mode lease never lapses."),
  })
  .strict()
  .refine((c) => c.reconnectMinMs <= c.reconnectMaxMs, { message: "reconnectMinMs must not exceed reconnectMaxMs", path: ["reconnectMinMs"] });
export type ModbusDeviceConfig = z.infer<typeof ModbusDeviceConfig>;
