#!/usr/bin/env node
// Prints the suite's outcome as one plain line ("tests: N passed, N failed, N skipped") from vitest's JSON report.
import { readFileSync } from "node:fs";
import process from "node:process";

const file = process.argv[2] ?? "test-results/vitest.json";
let report;
try {
  report = JSON.parse(readFileSync(file, "utf8"));
} catch (err) {
  console.error(`test summary: cannot read ${file}: ${err.message}`);
  process.exit(1);
}
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(`tests: ${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped > 0 ? `, ${skipped} skipped` : ""}`);
process.exit(report.numFailedTests === 0 && report.numTotalTests > 0 ? 0 : 1);
