import type { AgentConfig } from "../config/agent-schema.js";
import { loadAgentConfig, parseAgentConfig, type ConfigLoadOptions } from "../config/load.js";
import { firmwareModesFile, readFirmwareModes } from "./firmware-modes.js";
import { restoreFirmwareAutomatic } from "./restore-firmware.js";

export interface RestoreFirmwareRunOptions {
  configFile: string;
  /** --root: where /sys is (a simulated host's tree). */
  root?: string;
  env?: NodeJS.ProcessEnv;
  /** Lines for the operator (the journal, under ExecStopPost). */
  print: (line: string) => void;
  onWarning?: ConfigLoadOptions["onWarning"];
}

/**
 * `coolfleet agent --config F --restore-firmware`: hands every fan and pump back to firmware automatic and says
 * what it wrote. Works from the config and, under systemd, from the modes recorded at the agent's start — from the
 * record alone when the config no longer loads (edited while the agent ran). Returns the exit code: 0 when every
 * channel was handed back, 1 otherwise.
 */
export function runRestoreFirmware(options: RestoreFirmwareRunOptions): number {
  const { print } = options;
  let config: AgentConfig | undefined;
  let configProblem: string | undefined;
  try {
    const loadOptions = options.onWarning ? { onWarning: options.onWarning } : {};
    const fromFile = loadAgentConfig(options.configFile, loadOptions);
    config = options.root ? parseAgentConfig({ ...fromFile, root: options.root }, `${options.configFile} (with --root ${options.root})`) : fromFile;
  } catch (err) {
    configProblem = err instanceof Error ? err.message : String(err);
  }
  const recordFile = firmwareModesFile(options.env ?? process.env);
  const record = readFirmwareModes(recordFile);
  if (configProblem !== undefined) {
    print(`restore-firmware: ${configProblem}`);
    if (!record) {
      print("restore-firmware: no recorded fan modes either; nothing handed back — check the fans by hand (grep . /sys/class/hwmon/hwmon*/pwm*_enable)");
      return 1;
    }
    print(`restore-firmware: handing back the ${record.channels.length} channel(s) recorded in ${recordFile ?? "?"}`);
  }

  const report = restoreFirmwareAutomatic({ config, record });
  for (const write of report.writes) {
    print(`restore-firmware: ${write.file}: ${write.from ?? "?"} → ${write.to} (${write.reason})`);
  }
  for (const problem of report.problems) print(`restore-firmware: NOT restored: ${problem}`);
  if (report.writes.length === 0 && report.problems.length === 0) print("restore-firmware: no fan or pump channels configured");
  return report.problems.length > 0 || configProblem !== undefined ? 1 : 0;
}
