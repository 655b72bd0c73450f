import { setAttr, setText } from "./dom.js";
import type { LinkStatus } from "./fleet-event-source.js";
import { formatClock } from "./format.js";

/** No update for this long and the indicator turns amber: the controller normally publishes every period (~1 s). */
export const STALE_AFTER_MS = 5_000;

/** The dot in the header: green while updates arrive, amber when they stop, red while the stream is down. */
export class LiveIndicator {
  private lastUpdateMs: number | undefined;
  private status: LinkStatus = "connecting";

  constructor(private readonly node: HTMLElement) {
    window.setInterval(() => this.render(), 1_000);
    this.render();
  }

  markUpdate(): void {
    this.lastUpdateMs = Date.now();
    this.render();
  }

  setStatus(status: LinkStatus): void {
    this.status = status;
    this.render();
  }

  private render(): void {
    const last = this.lastUpdateMs === undefined ? "no data yet" : formatClock(this.lastUpdateMs);
    let state: "live" | "stale" | "down";
    let label: string;
    if (this.status !== "open") {
      state = "down";
      label = this.status === "connecting" ? `connecting · ${last}` : `reconnecting · ${last}`;
    } else if (this.lastUpdateMs === undefined || Date.now() - this.lastUpdateMs > STALE_AFTER_MS) {
      state = "stale";
      label = `stale · ${last}`;
    } else {
      state = "live";
      label = `live · ${last}`;
    }
    setAttr(this.node, "data-state", state);
    // For tests and scripts: the same time as the label, machine-readable.
    setAttr(this.node, "data-last-update-ms", this.lastUpdateMs === undefined ? "" : String(this.lastUpdateMs));
    setAttr(this.node, "title", `Last update ${last}; the event stream is ${this.status}`);
    const text = this.node.querySelector(".live-text");
    if (text) setText(text, label);
  }
}
