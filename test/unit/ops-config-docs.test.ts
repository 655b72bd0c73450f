import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CONFIG_KINDS, configDocsMarkers, embedConfigDocs, renderConfigKeyTable } from "../../src/ops/config-docs.js";
import { configKeyDocs, describeType } from "../../src/ops/config-schema-doc.js";

const DOC_PATH = "docs/configuration.md";
const REGENERATE = "regenerate it: npm run build && node scripts/generate-config-docs.mjs";

describe("docs/configuration.md", () => {
  it("is up to date with the config schemas", () => {
    const doc = readFileSync(DOC_PATH, "utf8");
    for (const kind of CONFIG_KINDS) {
      const { start, end } = configDocsMarkers(kind);
      expect(doc, `${DOC_PATH} lacks the markers ${start} … ${end}`).toContain(start);
      expect(doc).toContain(end);
    }
    expect(embedConfigDocs(doc) === doc, `${DOC_PATH}: the key tables differ from the schemas; ${REGENERATE}`).toBe(true);
  });

  it.each(CONFIG_KINDS)("documents every %s key: each has a description, each required key an example", (kind) => {
    const keys = configKeyDocs(kind);
    expect(keys.length).toBeGreaterThan(10);
    const undocumented = keys.filter((k) => k.description.trim() === "").map((k) => k.path);
    expect(undocumented, `add .describe("…") to these keys in src/config/${kind}-schema.ts`).toEqual([]);
    const exampleless = keys.filter((k) => k.required && !k.hasDefault && k.node.const === undefined && !k.node.examples && !k.node.properties && !k.path.includes("[]"));
    expect(exampleless.map((k) => k.path), "required keys without a default need .meta({ examples: [...] }) for `config example`").toEqual([]);
    const table = renderConfigKeyTable(kind);
    for (const key of keys) expect(table).toContain(`| \`${key.path}\` |`);
  });

  it("lists nested keys under their parents, list items as []", () => {
    const paths = configKeyDocs("agent").map((k) => k.path);
    expect(paths).toEqual(expect.arrayContaining(["broker.url", "temperatures[].criticalC", "fans.minPct", "control.pid.kp"]));
    expect(paths.indexOf("control")).toBeLessThan(paths.indexOf("control.pid.kp"));
  });

  it("words types for people", () => {
    expect(describeType({ type: "integer", minimum: 100, maximum: 60000 })).toBe("integer 100–60000");
    expect(describeType({ type: "number", exclusiveMinimum: 0, maximum: Number.MAX_SAFE_INTEGER })).toBe("number > 0");
    expect(describeType({ anyOf: [{ const: 4 }, { const: 5 }] })).toBe("4 or 5");
    expect(describeType({ type: "array", items: { type: "integer", minimum: 1, maximum: 32 }, minItems: 1 })).toBe("list of integer 1–32 (at least 1)");
  });

  it("embedding needs the markers", () => {
    expect(() => embedConfigDocs("# no markers\n")).toThrow(/needs the markers/);
  });
});
