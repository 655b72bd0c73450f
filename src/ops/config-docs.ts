import type { ConfigKind } from "../config/migrations.js";
import { configKeyDocs, type ConfigKeyDoc } from "./config-schema-doc.js";

/** docs/configuration.md keeps hand-written prose around these generated blocks (scripts/generate-config-docs.mjs). */
export const CONFIG_KINDS: readonly ConfigKind[] = ["agent", "controller"];

export function configDocsMarkers(kind: ConfigKind): { start: string; end: string } {
  return {
    start: `<!-- BEGIN GENERATED: ${kind} config keys (scripts/generate-config-docs.mjs; do not edit by hand) -->`,
    end: `<!-- END GENERATED: ${kind} config keys -->`,
  };
}

/** The reference table of every key of one config kind, from the schema. */
export function renderConfigKeyTable(kind: ConfigKind, keys: readonly ConfigKeyDoc[] = configKeyDocs(kind)): string {
  const rows = keys.map((k) => `| \`${k.path}\` | ${cell(k.type)} | ${cell(defaultText(k))} | ${cell(k.description)} |`);
  return ["| key | type | default | meaning |", "|---|---|---|---|", ...rows].join("\n") + "\n";
}

function defaultText(key: ConfigKeyDoc): string {
  if (key.hasDefault) return key.node.properties ? "(see its keys)" : `\`${JSON.stringify(key.default)}\``;
  if (key.required) return "**required**";
  return "unset";
}

/** Markdown table cells: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\s*\n\s*/g, " ");
}

/** The doc with each kind's generated block replaced by the current one; throws when a marker is missing. */
export function embedConfigDocs(doc: string): string {
  let result = doc;
  for (const kind of CONFIG_KINDS) {
    const { start, end } = configDocsMarkers(kind);
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (from < 0 || to < from) throw new Error(`docs/configuration.md needs the markers\n${start}\n${end}`);
    result = `${result.slice(0, from + start.length)}\n${renderConfigKeyTable(kind)}${result.slice(to)}`;
  }
  return result;
}
