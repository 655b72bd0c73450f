import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export interface LiquidAgentSetup {
  /** Scratch directory: the BMC password file and the (empty) sysfs root go here. */
  dir: string;
  hostId: string;
  brokerUrl: string;
  /** UDP port of the simulated BMC (or of a relay in front of it). */
  bmcPort: number;
  /** The agent's end of the CDU's serial line. */
  serialPort: string;
  periodMs?: number;
}

/**
 * The agent config (before parsing) for a simulated liquid-cooled PowerEdge: every sensor and actuator on IPMI
 * (chassis fans, following the exhaust air) or the Modbus CDU (the pump, following the CPUs and the coolant); no
 * hwmon. Tests spread their own keys over it. Writes the BMC password file.
 */
export function liquidAgentConfig(setup: LiquidAgentSetup) {
  const passwordFile = join(setup.dir, "bmc-password");
  writeFileSync(passwordFile, "calvin\n", { mode: 0o600 });
  mkdirSync(join(setup.dir, "root"), { recursive: true });
  return {
    version: 1,
    hostId: setup.hostId,
    root: join(setup.dir, "root"),
    periodMs: setup.periodMs ?? 250,
    broker: { url: setup.brokerUrl },
    ipmi: { interface: "lanplus", host: "127.0.0.1", port: setup.bmcPort, username: "root", passwordFile, sweepPeriodMs: 1000, timeoutMs: 2000 },
    modbus: [{ name: "cdu", port: setup.serialPort, map: "orv3-rpu", pollMs: 250, timeoutMs: 250 }],
    temperatures: [
      { match: "ipmi:Temp@3.*", role: "cpu", targetC: 55, criticalC: 95, required: true },
      { match: "ipmi:Exhaust Temp", role: "exhaust", targetC: 60, criticalC: 75 },
      { match: "cdu:coolant_supply_temp", role: "coolant", targetC: 45, criticalC: 55 },
    ],
    fans: { driver: "ipmi", channels: [1, 2, 3, 4, 5, 6], minPct: 20, roles: ["exhaust"], sensors: [{ match: "ipmi:Exhaust Temp" }] },
    pump: { driver: "modbus", modbusDevice: "cdu", channels: [1], minPct: 30, roles: ["cpu", "coolant"] },
  };
}
