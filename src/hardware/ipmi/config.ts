import { z } from "zod";

/** Defaults of the IPMI binding, in one place: the schema below and the classes both use them. */
export const IPMI_DEFAULTS = {
  port: 623,
  timeoutMs: 10_000,
  sweepPeriodMs: 5_000,
  /** How often a refusing (or unreachable) BMC is asked again whether it accepts manual fan control. */
  reprobeMs: 600_000,
  /** Manual mode is re-asserted at least this often, well inside a BMC's manual-mode lease (30 s on ours). */
  reassertMs: 10_000,
  ipmitoolPath: "ipmitool",
  session: "persistent",
  sdrCache: true,
} as const;

/**
 * The agent config's `ipmi` block (the lead wires it into src/config). `open` is in-band through the OpenIPMI
 * driver (/dev/ipmi0, root, no credentials); `lanplus` is IPMI v2.0 RMCP+ and `lan` IPMI v1.5 over UDP.
 * The password is read from passwordFile and handed to ipmitool in its environment (-E), never on the command line.
 */
export const IpmiConfig = z
  .object({
    interface: z.enum(["open", "lanplus", "lan"]).default("open").describe("open: in-band through the OpenIPMI driver (/dev/ipmi0, root, no credentials); lanplus: IPMI v2.0 RMCP+ over UDP; lan: IPMI v1.5."),
    host: z.string().min(1).optional().describe("BMC address (lanplus and lan)."),
    port: z.number().int().min(1).max(65_535).default(IPMI_DEFAULTS.port).describe("BMC UDP port (ipmitool -p)."),
    /** IPMI user names are at most 16 bytes. */
    username: z.string().min(1).max(16).optional().describe("BMC user (an Administrator account; at most 16 bytes)."),
    passwordFile: z.string().min(1).optional().describe("File holding the BMC password; handed to ipmitool in its environment (-E), never on its command line."),
    /** ipmitool -C; unset lets ipmitool pick the best suite the BMC offers (17, else 3). */
    cipherSuite: z.number().int().min(0).max(17).optional().describe("ipmitool -C for lanplus; unset lets ipmitool pick the best suite the BMC offers (17, else 3)."),
    /** Hard limit per ipmitool run; the process is killed when it passes. */
    timeoutMs: z.number().int().min(100).max(120_000).default(IPMI_DEFAULTS.timeoutMs).describe("Hard limit per ipmitool run; the process is killed past it. At most twice sweepPeriodMs."),
    /** Period of the slow sensor loop (sdr type temperature + sdr type fan). */
    sweepPeriodMs: z.number().int().min(1_000).max(600_000).default(IPMI_DEFAULTS.sweepPeriodMs).describe("Period of the slow IPMI sensor loop (sdr type temperature + sdr type fan), separate from the fast control period."),
    reprobeMs: z.number().int().min(10_000).max(86_400_000).default(IPMI_DEFAULTS.reprobeMs).describe("How often a BMC that refused manual fan control is asked again."),
    ipmitoolPath: z.string().min(1).default(IPMI_DEFAULTS.ipmitoolPath).describe("The ipmitool binary (a name on PATH or a path)."),
    session: z
      .enum(["persistent", "per-command"])
      .default(IPMI_DEFAULTS.session)
      .describe("persistent: the sensor loop and the fan commands each go through one long-lived ipmitool process (over the LAN one RMCP+ session each), renewed every minute and after any failure; per-command: one ipmitool run per command."),
    sdrCache: z
      .boolean()
      .default(IPMI_DEFAULTS.sdrCache)
      .describe(
        "With persistent sessions: dump the BMC's SDR repository to a private temporary file once and open each sensor session on it (ipmitool -S), instead of walking the repository every time a session opens. Each session checks the repository's record count and change timestamps and dumps it again when they differ (and at least hourly). false: walk as each session opens.",
      ),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    if (cfg.timeoutMs > cfg.sweepPeriodMs * 2) {
      ctx.addIssue({ code: "custom", path: ["timeoutMs"], message: `ipmi.timeoutMs (${cfg.timeoutMs}) must be at most twice sweepPeriodMs (${cfg.sweepPeriodMs}), or one hung run stalls the sensor loop for several periods` });
    }
    if (cfg.interface === "open") {
      for (const key of ["host", "username", "passwordFile", "cipherSuite"] as const) {
        if (cfg[key] !== undefined) ctx.addIssue({ code: "custom", path: [key], message: `ipmi.${key} has no meaning with interface "open" (in-band); remove it or use "lanplus"` });
      }
      return;
    }
    for (const key of ["host", "username", "passwordFile"] as const) {
      if (cfg[key] === undefined) ctx.addIssue({ code: "custom", path: [key], message: `ipmi.${key} is required with interface "${cfg.interface}"` });
    }
    if (cfg.interface === "lan" && cfg.cipherSuite !== undefined) {
      ctx.addIssue({ code: "custom", path: ["cipherSuite"], message: 'ipmi.cipherSuite only applies to interface "lanplus" (IPMI v1.5 has no cipher suites)' });
    }
  });
export type IpmiConfig = z.infer<typeof IpmiConfig>;
