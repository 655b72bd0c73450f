import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: "forks",
    // The JSON report feeds the one-line summary CI prints (scripts/test-summary.mjs); the fault reporter prints
    // the fault-injection table (test/faults) and writes test-results/faults.json.
    reporters: ["default", ["json", { outputFile: "test-results/vitest.json" }], "./test/faults/fault-reporter.ts"],
  },
});
