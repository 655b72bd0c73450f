import type { HostStateName } from "../src/controller/types.js";
import { el } from "./dom.js";

/** State colours live in styles.css (--state-*); charts and the timeline read the same variables. */
export function stateColor(state: HostStateName): string {
  return `var(--state-${state.toLowerCase()})`;
}

export function stateBadge(state: HostStateName): HTMLSpanElement {
  const badge = el("span", { class: "badge", "data-state": state }, state);
  badge.style.setProperty("--badge-color", stateColor(state));
  return badge;
}

/** Updates an existing badge in place (keeps the node, so a live table does not flicker). */
export function updateStateBadge(badge: HTMLElement, state: HostStateName): void {
  if (badge.dataset["state"] === state) return;
  badge.dataset["state"] = state;
  badge.textContent = state;
  badge.style.setProperty("--badge-color", stateColor(state));
}
