#!/usr/bin/env node
// Rewrites the key tables in docs/configuration.md from the zod config schemas (src/config/*-schema.ts).
// Reads the compiled code, so build first:  npm run build && node scripts/generate-config-docs.mjs
// test/unit/ops-config-docs.test.ts fails while the doc is stale.
// Node's globals come from their modules: the lint config gives .mjs files no Node environment.
import console from "node:console";
import { readFile, writeFile } from "node:fs/promises";
import process from "node:process";
import { URL, fileURLToPath } from "node:url";

const compiled = new URL("../dist/src/ops/config-docs.js", import.meta.url);
const docUrl = new URL("../docs/configuration.md", import.meta.url);

let configDocs;
try {
  configDocs = await import(compiled.href);
} catch (err) {
  console.error(`cannot load ${fileURLToPath(compiled)} (${err instanceof Error ? err.message : String(err)}); run npm run build first`);
  process.exit(1);
}

const doc = await readFile(docUrl, "utf8");
const updated = configDocs.embedConfigDocs(doc);
if (updated === doc) {
  console.log(`${fileURLToPath(docUrl)}: key tables already up to date`);
} else {
  await writeFile(docUrl, updated);
  console.log(`${fileURLToPath(docUrl)}: key tables regenerated from the config schemas`);
}
