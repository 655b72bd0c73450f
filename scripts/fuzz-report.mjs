#!/usr/bin/env node
// Prints the counts every fuzz suite left in test-results/fuzz/*.json as one markdown table (for the closing note).
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

const dir = join("test-results", "fuzz");
let files;
try {
  files = readdirSync(dir).filter((f) => f.endsWith(".json")).sort();
} catch {
  console.error(`${dir}: no fuzz results; run \`npm run test:fuzz\` first`);
  process.exit(1);
}
console.log("| suite | target | outcome | count |\n|---|---|---|---:|");
for (const file of files) {
  const { suite, rows } = JSON.parse(readFileSync(join(dir, file), "utf8"));
  for (const [target, outcome, count] of rows) console.log(`| ${suite} | ${target} | ${outcome} | ${count} |`);
}
