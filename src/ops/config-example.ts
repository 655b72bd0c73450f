import { stringify } from "yaml";
import type { ConfigKind } from "../config/migrations.js";
import { configJsonSchema, exampleValue, type SchemaNode } from "./config-schema-doc.js";

const WRAP_AT = 110;

/**
 * A commented YAML config generated from the schema alone: every key with its description, its default (or, for a
 * key without one, the schema's example), optional keys commented out. The result validates as it is, so
 * `coolfleet config example agent > agent.yaml` is a working start.
 */
export function renderConfigExample(kind: ConfigKind): string {
  const lines = [
    `# coolfleet ${kind} config, generated from the schema: coolfleet config example ${kind}`,
    "# Every key is shown with its default; keys marked (required) have none and the value shown is an example.",
    "# Optional keys without a default are commented out. Reference: docs/configuration.md",
    "",
  ];
  renderObject(configJsonSchema(kind), undefined, 0, { commented: false, comments: true }, lines);
  return `${lines.join("\n")}\n`;
}

interface Style {
  commented: boolean;
  comments: boolean;
}

function renderObject(node: SchemaNode, given: Record<string, unknown> | undefined, indent: number, style: Style, out: string[]): void {
  const pad = " ".repeat(indent);
  const emit = (text: string, commented = style.commented): void => {
    out.push(commented ? `${pad}# ${text}` : `${pad}${text}`);
  };
  const entries = Object.entries(node.properties ?? {});
  entries.forEach(([key, child], i) => {
    const required = (node.required ?? []).includes(key);
    const givenHere = given !== undefined && key in given;
    // Inside a commented-out example block, only what the example sets (and defaults): no stray example values.
    if (style.commented && !givenHere && child.default === undefined) return;
    // A required map without a default or example (fans) is built from its keys' own examples and defaults.
    const value = given !== undefined && key in given ? given[key] : (exampleValue(child) ?? (child.properties && required ? {} : undefined));
    // An optional key with no default is left out of a working file; shown commented so people find it.
    const commented = style.commented || (!required && child.default === undefined && !givenHere);
    if (style.comments) {
      if (indent === 0 && i > 0) out.push("");
      const note = required && child.default === undefined ? " (required)" : "";
      for (const line of wrap(`${child.description ?? ""}${note}`, WRAP_AT - indent - 2)) out.push(`${pad}# ${line}`);
    }
    if (value === undefined) {
      emit(`${key}:`, true);
      return;
    }
    if (child.properties && isRecord(value)) {
      emit(`${key}:`, commented);
      renderObject(child, value, indent + 2, { commented, comments: style.comments && !commented }, out);
      return;
    }
    if (child.items?.properties && Array.isArray(value) && value.every(isRecord)) {
      emit(`${key}:`, commented);
      value.forEach((item, n) => renderListItem(child.items!, item, indent + 2, { commented, comments: style.comments && !commented && n === 0 }, out));
      return;
    }
    emit(`${key}: ${scalar(value)}`, commented);
  });
}

/** "- key: value" with the item's remaining keys aligned under the first. */
function renderListItem(node: SchemaNode, item: Record<string, unknown>, indent: number, style: Style, out: string[]): void {
  const start = out.length;
  renderObject(node, item, indent + 2, style, out);
  const pad = " ".repeat(indent + 2);
  const first = out.findIndex((line, i) => i >= start && !line.slice(indent + 2).startsWith("# ") && line.startsWith(pad));
  const firstKey = first >= 0 ? first : start;
  const line = out[firstKey] ?? "";
  out[firstKey] = style.commented ? `${" ".repeat(indent)}# - ${line.slice(indent + 4)}` : `${" ".repeat(indent)}- ${line.slice(indent + 2)}`;
}

/** One value in YAML flow style: [1, 2, 3], "*\/5 * * * *", 85. */
function scalar(value: unknown): string {
  return stringify(value, { collectionStyle: "flow", lineWidth: 0 }).trimEnd();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter(Boolean)) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line ? `${line} ${word}` : word;
    }
  }
  if (line) lines.push(line);
  return lines;
}
