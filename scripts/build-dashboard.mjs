#!/usr/bin/env node
// Bundles the operator dashboard (dashboard/main.ts, uPlot and the CSS) into dist/dashboard/assets/app-[hash].{js,css}
// and writes dist/dashboard/index.html pointing at them. Hashed names let the controller cache assets forever.
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { basename, dirname, join, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const sourceDir = join(root, "dashboard");
const outDir = join(root, "dist", "dashboard");
const assetsDir = join(outDir, "assets");

const startedMs = Date.now();
// Old hashed files would pile up build after build; the folder is ours alone.
await rm(outDir, { recursive: true, force: true });
await mkdir(assetsDir, { recursive: true });

const result = await build({
  entryPoints: { app: join(sourceDir, "main.ts") },
  outdir: assetsDir,
  entryNames: "[name]-[hash]",
  assetNames: "[name]-[hash]",
  bundle: true,
  minify: true,
  sourcemap: "linked",
  format: "esm",
  platform: "browser",
  target: ["chrome111", "firefox113", "safari16.4"],
  tsconfig: join(sourceDir, "tsconfig.json"),
  metafile: true,
  logLevel: "warning",
  legalComments: "linked",
});

const outputs = Object.keys(result.metafile.outputs).map((path) => basename(path));
const js = outputs.find((name) => /^app-[A-Z0-9]+\.js$/.test(name));
const css = outputs.find((name) => /^app-[A-Z0-9]+\.css$/.test(name));
if (!js || !css) {
  process.stderr.write(`build-dashboard: expected app-[hash].js and .css, got ${outputs.join(", ")}\n`);
  process.exit(1);
}

const template = await readFile(join(sourceDir, "index.html"), "utf8");
// Relative URLs: the dashboard keeps working behind a proxy that serves it under a path prefix.
const html = template
  .replace("<!-- build:css -->", `<link rel="stylesheet" href="assets/${css}" />`)
  .replace("<!-- build:js -->", `<script type="module" src="assets/${js}"></script>`);
if (html.includes("<!-- build:")) {
  process.stderr.write("build-dashboard: dashboard/index.html lost a <!-- build:css --> or <!-- build:js --> marker\n");
  process.exit(1);
}
await writeFile(join(outDir, "index.html"), html);

const sizes = await Promise.all(
  [js, css].map(async (name) => `${name} ${((await readFile(join(assetsDir, name))).length / 1024).toFixed(0)} KiB`),
);
process.stdout.write(`dashboard → ${relative(root, outDir)}: ${sizes.join(", ")} (${Date.now() - startedMs} ms)\n`);
