import { readFileSync } from "node:fs";
import { basename, extname } from "node:path";
import { CoolfleetError, ErrorCode } from "../../src/core/errors.js";
import { DEFAULT_INLET_C, type Workload, type WorkloadPoint } from "./workload.js";

/**
 * Replayed traces (W5/W6 style). Columns t_s,cpu_util,disk_mbps,inlet_c in any order; disk_mbps and inlet_c may be
 * left out (0 MB/s, 25 °C). An empty cell holds the previous row's value. Between rows values are interpolated
 * linearly; before the first row the first holds, past the last row the last.
 */

const COLUMNS = ["t_s", "cpu_util", "disk_mbps", "inlet_c"] as const;
type Column = (typeof COLUMNS)[number];
type ValueColumn = Exclude<Column, "t_s">;

const DEFAULTS: Record<ValueColumn, number> = { cpu_util: 0, disk_mbps: 0, inlet_c: DEFAULT_INLET_C };
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function traceError(name: string, line: number, column: string | undefined, message: string): CoolfleetError {
  const where = column === undefined ? `line ${line}` : `line ${line}, column ${column}`;
  return new CoolfleetError(ErrorCode.SimTraceInvalid, `trace "${name}" ${where}: ${message}`);
}

function checkRange(column: ValueColumn, value: number): string | undefined {
  switch (column) {
    case "cpu_util":
      return value < 0 || value > 1 ? `utilisation must be a fraction 0..1 (divide percentages by 100); got ${value}` : undefined;
    case "disk_mbps":
      return value < 0 ? `throughput must not be negative; got ${value}` : undefined;
    case "inlet_c":
      return value < -20 || value > 60 ? `inlet temperature must lie in -20..60 °C; got ${value}` : undefined;
  }
}

interface ParsedHeader {
  index: Map<Column, number>;
  width: number;
}

function parseHeader(name: string, lineNo: number, line: string): ParsedHeader {
  const names = line.split(",").map((cell) => cell.trim().toLowerCase());
  const index = new Map<Column, number>();
  names.forEach((column, i) => {
    if (!(COLUMNS as readonly string[]).includes(column)) {
      throw traceError(name, lineNo, column || `#${i + 1}`, `unknown column; expected ${COLUMNS.join(",")}`);
    }
    if (index.has(column as Column)) throw traceError(name, lineNo, column, "appears twice in the header");
    index.set(column as Column, i);
  });
  for (const required of ["t_s", "cpu_util"] as const) {
    if (!index.has(required)) throw traceError(name, lineNo, required, `missing from the header; expected ${COLUMNS.join(",")}`);
  }
  return { index, width: names.length };
}

/** Parses a trace; errors name the line (1-based, as an editor shows it) and the column. */
export function parseTraceCsv(text: string, name: string): Workload {
  const lines = text.split(/\r?\n/);
  let header: ParsedHeader | undefined;
  const times: number[] = [];
  const values: Record<ValueColumn, number[]> = { cpu_util: [], disk_mbps: [], inlet_c: [] };

  lines.forEach((raw, i) => {
    const lineNo = i + 1;
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    if (!header) {
      header = parseHeader(name, lineNo, line);
      return;
    }
    const cells = line.split(",").map((cell) => cell.trim());
    if (cells.length !== header.width) throw traceError(name, lineNo, undefined, `has ${cells.length} fields; the header has ${header.width}`);
    const cellOf = (column: Column): string | undefined => {
      const at = header?.index.get(column);
      return at === undefined ? undefined : cells[at];
    };
    const parse = (column: Column, cell: string): number => {
      if (!NUMBER.test(cell)) throw traceError(name, lineNo, column, `"${cell}" is not a number`);
      return Number(cell);
    };

    const tCell = cellOf("t_s") ?? "";
    if (tCell === "") throw traceError(name, lineNo, "t_s", "must not be empty");
    const tS = parse("t_s", tCell);
    if (tS < 0) throw traceError(name, lineNo, "t_s", `must not be negative; got ${tS}`);
    const previousT = times[times.length - 1];
    if (previousT !== undefined && tS <= previousT) throw traceError(name, lineNo, "t_s", `must increase from row to row (${previousT} then ${tS})`);
    times.push(tS);

    for (const column of ["cpu_util", "disk_mbps", "inlet_c"] as const) {
      const series = values[column];
      const cell = cellOf(column);
      let value: number;
      if (cell === undefined) value = DEFAULTS[column];
      else if (cell === "") {
        const held = series[series.length - 1];
        if (held === undefined) throw traceError(name, lineNo, column, "empty on the first data row, so there is no previous value to hold");
        value = held;
      } else {
        value = parse(column, cell);
        const problem = checkRange(column, value);
        if (problem) throw traceError(name, lineNo, column, problem);
      }
      series.push(value);
    }
  });

  if (!header) throw traceError(name, 1, undefined, `no header; expected ${COLUMNS.join(",")}`);
  if (times.length === 0) throw traceError(name, lines.length, undefined, "no data rows after the header");
  return new TraceWorkload(name, times, values);
}

class TraceWorkload implements Workload {
  readonly durationS: number;

  constructor(
    readonly name: string,
    private readonly times: readonly number[],
    private readonly values: Record<ValueColumn, readonly number[]>,
  ) {
    this.durationS = times[times.length - 1] ?? 0;
  }

  at(tS: number): WorkloadPoint {
    const { times } = this;
    // Index of the last row at or before tS (binary search); clamps to the ends.
    let lo = 0;
    let hi = times.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((times[mid] ?? 0) <= tS) lo = mid;
      else hi = mid - 1;
    }
    const t0 = times[lo] ?? 0;
    const t1 = times[lo + 1];
    const w = t1 === undefined || tS <= t0 ? 0 : Math.min(1, (tS - t0) / (t1 - t0));
    const lerp = (series: readonly number[]): number => {
      const a = series[lo] ?? 0;
      return a + ((series[lo + 1] ?? a) - a) * w;
    };
    return { cpuUtil: lerp(this.values.cpu_util), diskMBps: lerp(this.values.disk_mbps), inletC: lerp(this.values.inlet_c) };
  }
}

/** Reads a trace file; the workload is named after the file (basename without extension). */
export function loadTraceCsv(file: string): Workload {
  const name = basename(file, extname(file));
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new CoolfleetError(ErrorCode.SimTraceInvalid, `trace "${name}": cannot read ${file}: ${reason}`, { cause: err });
  }
  return parseTraceCsv(text, name);
}
