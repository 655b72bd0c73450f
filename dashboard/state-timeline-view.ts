import type { StateTransitionRecord } from "../src/controller/http/read-model.js";
import type { HostStateName } from "../src/controller/types.js";
import { el } from "./dom.js";
import { formatAge, formatClock } from "./format.js";
import { stateBadge, stateColor } from "./state-style.js";
import { stateBands } from "./timeline-bands.js";

/** How many transitions the list under the bar shows; the bar itself shows all of them in the range. */
const LIST_MAX = 30;

/** Coloured bands per state over the chart range, and the transitions in it with their causes. */
export class StateTimelineView {
  readonly root: HTMLElement;
  private readonly bar: HTMLElement;
  private readonly axis: HTMLElement;
  private readonly list: HTMLOListElement;
  private readonly caption: HTMLElement;
  private listKey = "";

  constructor() {
    this.bar = el("div", { class: "timeline-bar", role: "img", "aria-label": "Host state over time" });
    this.axis = el("div", { class: "timeline-axis" });
    this.list = el("ol", { class: "transition-list" });
    this.caption = el("span", { class: "muted" });
    this.root = el(
      "section",
      { class: "panel timeline", "data-testid": "state-timeline" },
      el("header", { class: "panel-head" }, el("h2", {}, "State timeline"), this.caption),
      this.bar,
      this.axis,
      this.list,
    );
  }

  render(transitions: readonly StateTransitionRecord[], fromMs: number, toMs: number, currentState: HostStateName): void {
    const spanMs = toMs - fromMs;
    const bands = stateBands(transitions, fromMs, toMs, currentState);
    this.bar.replaceChildren(
      ...bands.map((band) => {
        const widthPct = ((band.endMs - band.startMs) / spanMs) * 100;
        const node = el(
          "div",
          {
            class: "band",
            "data-state": band.state,
            title: `${band.state} from ${formatClock(band.startMs)} for ${formatAge(band.endMs - band.startMs)}${band.cause ? `\ncause: ${band.cause}` : ""}`,
          },
          // Only wide bands get a label; a sliver with text is noise.
          widthPct > 8 ? band.state : "",
        );
        node.style.left = `${((band.startMs - fromMs) / spanMs) * 100}%`;
        node.style.width = `${widthPct}%`;
        node.style.setProperty("--badge-color", stateColor(band.state));
        return node;
      }),
    );
    this.axis.replaceChildren(el("span", {}, formatClock(fromMs)), el("span", {}, formatClock(toMs)));

    const inRange = transitions.filter((t) => t.atMs >= fromMs && t.atMs <= toMs);
    this.caption.textContent = `${inRange.length} transition${inRange.length === 1 ? "" : "s"} in range`;
    const key = inRange.map((t) => `${t.atMs}:${t.to}`).join(",");
    if (key === this.listKey) return;
    this.listKey = key;
    const latestFirst = [...inRange].sort((a, b) => b.atMs - a.atMs).slice(0, LIST_MAX);
    this.list.replaceChildren(
      ...latestFirst.map((t) =>
        el(
          "li",
          { "data-testid": "transition" },
          el("time", { datetime: new Date(t.atMs).toISOString() }, formatClock(t.atMs)),
          stateBadge(t.from),
          el("span", { class: "arrow" }, "→"),
          stateBadge(t.to),
          el("span", { class: "cause" }, t.cause),
        ),
      ),
    );
  }
}
