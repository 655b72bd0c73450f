import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  STATE_DIAGRAM_END,
  STATE_DIAGRAM_START,
  TRANSITIONS,
  embedStateDiagram,
  embeddedStateDiagram,
  renderStateDiagram,
} from "../../src/controller/state-machine/index.js";

const DOC_PATH = "docs/state-machine.md";
const REGENERATE = "regenerate it: npm run build && node scripts/generate-state-diagram.mjs (npm run docs:state-machine)";

describe("state diagram", () => {
  it("draws every row of TRANSITIONS, the start and the end", () => {
    const diagram = renderStateDiagram();
    const lines = diagram.split("\n");
    expect(lines[0]).toBe("stateDiagram-v2");
    expect(lines).toContain("    [*] --> Setup");
    expect(lines).toContain("    Decommissioned --> [*]");
    for (const row of TRANSITIONS) {
      const arrow = lines.find((line) => line.startsWith(`    ${row.from} --> ${row.to} : `));
      expect(arrow, `${row.from} --> ${row.to}`).toBeDefined();
      expect(arrow?.split(" : ")[1]?.split(", ")).toContain(row.trigger);
    }
  });

  it("merges the triggers of one pair of states onto one arrow", () => {
    const diagram = renderStateDiagram([
      { from: "Running", to: "Error", trigger: "sensor failure" },
      { from: "Running", to: "Error", trigger: "link failure" },
    ]);
    expect(diagram).toContain("    Running --> Error : sensor failure, link failure\n");
  });

  it(`is up to date in ${DOC_PATH}`, () => {
    const doc = readFileSync(DOC_PATH, "utf8");
    const committed = embeddedStateDiagram(doc);
    expect(committed, `${DOC_PATH} lacks the markers ${STATE_DIAGRAM_START} … ${STATE_DIAGRAM_END}`).toBeDefined();
    const generated = embeddedStateDiagram(embedStateDiagram(doc));
    expect(committed, `${DOC_PATH}: the diagram differs from TRANSITIONS; ${REGENERATE}`).toBe(generated);
  });

  it("embedding replaces only the block between the markers, and is idempotent", () => {
    const doc = `# t\n\nbefore\n${STATE_DIAGRAM_START}\nstale\n${STATE_DIAGRAM_END}\nafter\n`;
    const once = embedStateDiagram(doc, "stateDiagram-v2\n    A --> B\n");
    expect(once).toBe(`# t\n\nbefore\n${STATE_DIAGRAM_START}\n\`\`\`mermaid\nstateDiagram-v2\n    A --> B\n\`\`\`\n${STATE_DIAGRAM_END}\nafter\n`);
    expect(embedStateDiagram(once, "stateDiagram-v2\n    A --> B\n")).toBe(once);
    expect(() => embedStateDiagram("no markers")).toThrow(/needs the markers/);
  });
});
