import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";

/**
 * One measured fault scenario. Every number comes from what the run observed: telemetry at a real subscriber or
 * in the controller's store, the simulator's true temperatures, the agent's acks and telemetry.
 */
export interface FaultRow {
  /** Which family file recorded it (sensor, bus, broker, clock, process, cooling). */
  family: string;
  fault: string;
  /** Telemetry messages the agent produced that never reached the subscriber or the store. */
  telemetryLost: number;
  /** Seconds any host's true die temperature was at Tj max or a drive at its limit (the host profile's limits). */
  overLimitS: number;
  /** Commands that came into force while stale (expired by the controller's clock), replayed, or past their lease. */
  staleCommandsApplied: number;
  /** From the fault becoming visible to the agent (or the controller) to the first telemetry that shows it. */
  detectS: number | null;
  detectPeriods: number | null;
  /** From the fault ending to normal operation (local/remote control, readings ok, delivery caught up). */
  recoverS: number | null;
  /** The targets this row was held to, in words, and whether it met them. */
  targets: string;
  met: boolean;
  notes: string;
}

interface StoredRows {
  /** The vitest process that started this worker: rows of another run are never mixed in. */
  runId: string;
  file: string;
  rows: FaultRow[];
}

export const FAULT_RESULTS_DIR = join("test-results", "faults");
export const FAULT_TABLE_JSON = join("test-results", "faults.json");

/** Collects one test file's rows and keeps them on disk (pool "forks": every file is its own process). */
export class FaultRecorder {
  private readonly rows: FaultRow[] = [];
  private readonly file: string;

  constructor(testFile: string) {
    this.file = basename(testFile);
  }

  record(row: FaultRow): FaultRow {
    this.rows.push(row);
    mkdirSync(FAULT_RESULTS_DIR, { recursive: true });
    const stored: StoredRows = { runId: String(process.ppid), file: this.file, rows: this.rows };
    writeFileSync(join(FAULT_RESULTS_DIR, `${this.file}.rows.json`), `${JSON.stringify(stored, null, 2)}\n`);
    return row;
  }

  /** This file's rows as a table, for the end of the file's run. */
  print(): void {
    if (this.rows.length > 0) console.log(`faults (${this.file})\n${formatFaultTable(this.rows)}`);
  }
}

/** Removes the rows of earlier runs. */
export function clearFaultRows(): void {
  rmSync(FAULT_RESULTS_DIR, { recursive: true, force: true });
  rmSync(FAULT_TABLE_JSON, { force: true });
}

const FAMILY_ORDER = ["sensor", "bus", "broker", "process", "clock", "cooling"];

/** Every row recorded by runId's workers, in family order. */
export function collectFaultRows(runId: string): FaultRow[] {
  let files: string[];
  try {
    files = readdirSync(FAULT_RESULTS_DIR).filter((f) => f.endsWith(".rows.json"));
  } catch {
    return [];
  }
  const rows: FaultRow[] = [];
  for (const f of files.sort()) {
    const stored = JSON.parse(readFileSync(join(FAULT_RESULTS_DIR, f), "utf8")) as StoredRows;
    if (stored.runId === runId) rows.push(...stored.rows);
  }
  const rank = (family: string) => (FAMILY_ORDER.includes(family) ? FAMILY_ORDER.indexOf(family) : FAMILY_ORDER.length);
  return rows.sort((a, b) => rank(a.family) - rank(b.family));
}

export function writeFaultTable(rows: readonly FaultRow[]): void {
  mkdirSync("test-results", { recursive: true });
  writeFileSync(FAULT_TABLE_JSON, `${JSON.stringify({ generatedAt: new Date().toISOString(), rows }, null, 2)}\n`);
}

function seconds(s: number | null): string {
  if (s === null) return "–";
  return s < 10 ? s.toFixed(2) : s.toFixed(1);
}

/** A plain text table, one line per row. */
export function formatFaultTable(rows: readonly FaultRow[]): string {
  const header = ["fault", "lost", "over-limit s", "stale applied", "detect s (periods)", "recover s", "targets", "notes"];
  const body = rows.map((r) => [
    r.fault,
    String(r.telemetryLost),
    r.overLimitS.toFixed(1),
    String(r.staleCommandsApplied),
    r.detectS === null ? "–" : `${seconds(r.detectS)} (${r.detectPeriods ?? "–"})`,
    seconds(r.recoverS),
    r.met ? "met" : "MISSED",
    r.notes,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : i >= 1 && i <= 5 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...body.map(line)].join("\n");
}
