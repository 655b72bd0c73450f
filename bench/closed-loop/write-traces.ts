import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { SHIPPED_TRACE_S } from "./scenarios.js";
import { generateTraceRows, traceCsv } from "./trace-generator.js";

/**
 * Regenerates the shipped W5/W6 traces: `node dist/bench/closed-loop/write-traces.js [dir]`
 * (default bench/closed-loop/traces). Deterministic: the same files every time.
 */
const dir = process.argv[2] ?? join("bench", "closed-loop", "traces");
mkdirSync(dir, { recursive: true });
const specs = [
  { file: "W5-alibaba2018-style.csv", style: "alibaba2018", seed: 5 },
  { file: "W6-google2019-style.csv", style: "google2019", seed: 6 },
] as const;
for (const spec of specs) {
  const comment = `${spec.style}-style machine CPU trace, seeded generator (bench/closed-loop/trace-generator.ts), seed ${spec.seed}, ${SHIPPED_TRACE_S} s`;
  writeFileSync(join(dir, spec.file), traceCsv(generateTraceRows(spec.style, spec.seed, SHIPPED_TRACE_S), comment));
  process.stdout.write(`wrote ${join(dir, spec.file)}\n`);
}
