import type { Reporter } from "vitest/reporters";
import { clearFaultRows, collectFaultRows, formatFaultTable, writeFaultTable } from "./fault-table.js";

/**
 * Clears the fault rows of earlier runs when a run starts and, when it ends, writes test-results/faults.json and
 * prints the fault table. The workers are this process's children, so their rows carry its pid.
 */
export default class FaultTableReporter implements Reporter {
  onInit(): void {
    clearFaultRows();
  }

  onTestRunEnd(): void {
    const rows = collectFaultRows(String(process.pid));
    if (rows.length === 0) return;
    writeFaultTable(rows);
    const missed = rows.filter((r) => !r.met).length;
    process.stdout.write(`\nFault injection: ${rows.length} scenarios, ${missed} missed their targets (test-results/faults.json)\n${formatFaultTable(rows)}\n\n`);
  }
}
