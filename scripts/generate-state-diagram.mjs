#!/usr/bin/env node
// Rewrites the generated diagram in docs/state-machine.md from TRANSITIONS. Reads the compiled code, so build first:
//   npm run build && node scripts/generate-state-diagram.mjs
// Node's globals come from their modules: the lint config gives .mjs files no Node environment.
import console from "node:console";
import { readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { URL, fileURLToPath } from "node:url";

const compiled = new URL("../dist/src/controller/state-machine/index.js", import.meta.url);
const docUrl = new URL("../docs/state-machine.md", import.meta.url);

let stateMachine;
try {
  stateMachine = await import(compiled.href);
} catch (err) {
  console.error(`cannot load ${fileURLToPath(compiled)} (${err instanceof Error ? err.message : String(err)}); run npm run build first`);
  process.exit(1);
}

const doc = await readFile(docUrl, "utf8");
const updated = stateMachine.embedStateDiagram(doc);
if (updated === doc) {
  console.log(`${fileURLToPath(docUrl)}: diagram already up to date`);
} else {
  await writeFile(docUrl, updated);
  console.log(`${fileURLToPath(docUrl)}: diagram regenerated from TRANSITIONS`);
}
