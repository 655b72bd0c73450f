import { z } from "zod";
import { AgentConfig } from "../config/agent-schema.js";
import { ControllerConfig } from "../config/controller-schema.js";
import type { ConfigKind } from "../config/migrations.js";

/** The part of JSON Schema that zod's toJSONSchema emits for our config schemas. */
export interface SchemaNode {
  type?: string;
  description?: string;
  default?: unknown;
  examples?: unknown[];
  const?: unknown;
  enum?: unknown[];
  anyOf?: SchemaNode[];
  properties?: Record<string, SchemaNode>;
  required?: string[];
  items?: SchemaNode;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  pattern?: string;
}

const SCHEMAS: Record<ConfigKind, z.ZodType> = { agent: AgentConfig, controller: ControllerConfig };

/** The config schema as JSON Schema, as a file is written (io "input": keys with defaults are optional). */
export function configJsonSchema(kind: ConfigKind): SchemaNode {
  return z.toJSONSchema(SCHEMAS[kind], { io: "input", unrepresentable: "any" }) as SchemaNode;
}

/** One key of a config file, for the reference tables and the commented example. */
export interface ConfigKeyDoc {
  /** "broker.url", "temperatures[].match". */
  path: string;
  depth: number;
  type: string;
  /** The file must give it: no default, not optional. */
  required: boolean;
  hasDefault: boolean;
  default: unknown;
  description: string;
  node: SchemaNode;
}

/** Every key of a config kind, parents before their children, in schema order. */
export function configKeyDocs(kind: ConfigKind): ConfigKeyDoc[] {
  const docs: ConfigKeyDoc[] = [];
  walk(configJsonSchema(kind), "", 0, docs);
  return docs;
}

function walk(node: SchemaNode, prefix: string, depth: number, out: ConfigKeyDoc[]): void {
  for (const [key, child] of Object.entries(node.properties ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    out.push({
      path,
      depth,
      type: describeType(child),
      required: (node.required ?? []).includes(key),
      hasDefault: child.default !== undefined,
      default: child.default,
      description: child.description ?? "",
      node: child,
    });
    if (child.properties) walk(child, path, depth + 1, out);
    if (child.items?.properties) walk(child.items, `${path}[]`, depth + 1, out);
  }
}

/** "integer 100–60000", "number > 0", "one of cpu, drive", "list of integer 1–32 (at least 1)". */
export function describeType(node: SchemaNode): string {
  if (node.const !== undefined) return JSON.stringify(node.const);
  if (node.enum) return `one of ${node.enum.map((v) => String(v)).join(", ")}`;
  if (node.anyOf) return node.anyOf.map(describeType).join(" or ");
  switch (node.type) {
    case "integer":
    case "number":
      return `${node.type}${range(node)}`;
    case "string":
      return node.pattern ? `string matching \`${node.pattern}\`` : "string";
    case "boolean":
      return "true or false";
    case "array":
      return `list of ${node.items ? plural(describeType(node.items)) : "values"}${node.minItems ? ` (at least ${node.minItems})` : ""}`;
    case "object":
      return "map";
    default:
      return node.type ?? "any";
  }
}

function plural(type: string): string {
  return type === "map" ? "maps" : type;
}

function range(node: SchemaNode): string {
  // zod's int() adds the safe-integer limits: true, but noise in a table.
  const bound = (v: number | undefined): number | undefined => (v === undefined || Math.abs(v) >= Number.MAX_SAFE_INTEGER ? undefined : v);
  const [min, max, xmin, xmax] = [bound(node.minimum), bound(node.maximum), bound(node.exclusiveMinimum), bound(node.exclusiveMaximum)];
  const low = min !== undefined ? { v: min, strict: false } : xmin !== undefined ? { v: xmin, strict: true } : undefined;
  const high = max !== undefined ? { v: max, strict: false } : xmax !== undefined ? { v: xmax, strict: true } : undefined;
  if (low && high && !low.strict && !high.strict) return ` ${low.v}–${high.v}`;
  const parts = [low ? `${low.strict ? ">" : "≥"} ${low.v}` : "", high ? `${high.strict ? "<" : "≤"} ${high.v}` : ""].filter(Boolean);
  return parts.length > 0 ? ` ${parts.join(", ")}` : "";
}

/** The value an example file shows for a key: its only allowed value, its first example, else its default. */
export function exampleValue(node: SchemaNode): unknown {
  return node.const ?? node.examples?.[0] ?? node.default;
}
