import { TRANSITIONS, type TransitionRow } from "./table.js";

export const STATE_DIAGRAM_START = "<!-- state-diagram:start -->";
export const STATE_DIAGRAM_END = "<!-- state-diagram:end -->";

/**
 * The Mermaid stateDiagram-v2 of TRANSITIONS, one arrow per pair of states with every trigger between them on its
 * label, in table order; [*] → Setup is the start and Decommissioned → [*] the end.
 */
export function renderStateDiagram(rows: readonly TransitionRow[] = TRANSITIONS): string {
  const triggersByArrow = new Map<string, string[]>();
  for (const row of rows) {
    const arrow = `${row.from} --> ${row.to}`;
    const triggers = triggersByArrow.get(arrow) ?? [];
    if (!triggers.includes(row.trigger)) triggers.push(row.trigger);
    triggersByArrow.set(arrow, triggers);
  }
  const lines = [
    "stateDiagram-v2",
    "    %% Generated from TRANSITIONS (src/controller/state-machine/table.ts); do not edit by hand.",
    "    [*] --> Setup",
    ...[...triggersByArrow].map(([arrow, triggers]) => `    ${arrow} : ${triggers.join(", ")}`),
    "    Decommissioned --> [*]",
  ];
  return `${lines.join("\n")}\n`;
}

/** The fenced block that stands between the markers in docs/state-machine.md. */
function diagramBlock(diagram: string): string {
  return `\n\`\`\`mermaid\n${diagram}\`\`\`\n`;
}

/** The text between the markers, or undefined when the document lacks them. */
export function embeddedStateDiagram(doc: string): string | undefined {
  const start = doc.indexOf(STATE_DIAGRAM_START);
  const end = doc.indexOf(STATE_DIAGRAM_END);
  if (start < 0 || end < start) return undefined;
  return doc.slice(start + STATE_DIAGRAM_START.length, end);
}

/** The document with the diagram between its markers replaced by this one (the generator script's job). */
export function embedStateDiagram(doc: string, diagram: string = renderStateDiagram()): string {
  const start = doc.indexOf(STATE_DIAGRAM_START);
  const end = doc.indexOf(STATE_DIAGRAM_END);
  if (start < 0 || end < start) {
    throw new Error(`the state-machine document needs the markers ${STATE_DIAGRAM_START} and ${STATE_DIAGRAM_END}, in that order`);
  }
  return doc.slice(0, start + STATE_DIAGRAM_START.length) + diagramBlock(diagram) + doc.slice(end);
}
