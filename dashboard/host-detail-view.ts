import type { ApiFleetEvent, ApiHost, ApiHostDetail } from "../src/controller/http/api-types.js";
import type { StateTransitionRecord, TelemetryPoint } from "../src/controller/http/read-model.js";
import { fetchHost, fetchTelemetry, fetchTransitions } from "./api-client.js";
import { CHART_RANGES, rangeSpanMs, type ChartRangeKey } from "./chart-ranges.js";
import { el, setText } from "./dom.js";
import { DASH, formatAge, formatMarginK, formatNumber, formatPct, formatTempC, formatWatts } from "./format.js";
import { HostCharts } from "./host-charts.js";
import { stateBadge, updateStateBadge } from "./state-style.js";
import { StateTimelineView } from "./state-timeline-view.js";
import { chartColumns, mergePoints, pointsSince } from "./telemetry-series.js";
import { heatLevel } from "./temperature-gauge.js";

/** The server caps a request at 50 000 points; an hour at a 1 s period is 3 600. */
const TELEMETRY_FETCH_LIMIT = 20_000;
/** Transitions are fetched from this far back, so the timeline knows the state at the start of its range. */
const TRANSITION_LOOKBACK_MS = 24 * 3_600_000;

/** One host: live facts, a state timeline and five charts over a selectable range. */
export class HostDetailView {
  readonly root: HTMLElement;
  private readonly facts: HTMLElement;
  private readonly badge: HTMLElement;
  private readonly chartGrid: HTMLElement;
  private readonly timeline = new StateTimelineView();
  private readonly rangeButtons = new Map<ChartRangeKey, HTMLButtonElement>();
  private readonly message: HTMLElement;
  private charts: HostCharts | undefined;
  private detail: ApiHostDetail | undefined;
  private points: TelemetryPoint[] = [];
  private transitions: StateTransitionRecord[] = [];
  /** The longest range whose telemetry has been fetched: a shorter one needs no new request. */
  private fetchedSpanMs = 0;
  private destroyed = false;

  constructor(
    readonly hostId: string,
    private rangeKey: ChartRangeKey,
    private readonly onRangeChange: (key: ChartRangeKey) => void,
  ) {
    this.badge = stateBadge("Setup");
    this.facts = el("dl", { class: "facts" });
    this.message = el("div", { class: "message", hidden: true });
    const ranges = el("div", { class: "range-select", role: "group", "aria-label": "Chart range" });
    for (const range of CHART_RANGES) {
      const button = el("button", { type: "button", "data-testid": `range-${range.key}` }, range.label);
      button.addEventListener("click", () => this.setRange(range.key));
      this.rangeButtons.set(range.key, button);
      ranges.append(button);
    }
    this.chartGrid = el("div", { class: "chart-grid" });
    this.root = el(
      "section",
      { class: "host-detail", "data-host-id": hostId },
      el(
        "header",
        { class: "host-head panel" },
        el("a", { href: "#/", class: "back", title: "Back to the fleet" }, "← Fleet"),
        el("h1", { class: "host-title" }, hostId),
        this.badge,
        this.facts,
        ranges,
      ),
      this.message,
      this.timeline.root,
      this.chartGrid,
    );
    this.markRange();
  }

  async load(): Promise<void> {
    try {
      const detail = await fetchHost(this.hostId);
      if (this.destroyed) return;
      this.detail = detail;
      this.renderFacts(detail.view);
      this.buildCharts(detail);
      await this.fetchHistory();
    } catch (err) {
      this.showMessage(err instanceof Error ? err.message : String(err));
    }
  }

  onEvent(event: ApiFleetEvent): void {
    if (event.type === "telemetry" && event.hostId === this.hostId) {
      this.points = mergePoints(this.points, [event.point]);
    } else if (event.type === "transition" && event.transition.hostId === this.hostId) {
      this.transitions = [...this.transitions, event.transition];
    } else if (event.type === "hosts") {
      const view = event.hosts.find((h) => h.hostId === this.hostId);
      if (view && this.detail) {
        this.detail = { ...this.detail, view };
        this.renderFacts(view);
      }
    }
  }

  /** After the event stream was down: refetch the window so the charts have no hole. */
  resync(): void {
    void this.fetchHistory();
  }

  /** Once a second: slide the window, drop what fell out of it, redraw. */
  tick(): void {
    if (!this.detail || !this.charts) return;
    const { fromMs, toMs } = this.window();
    // Keep a minute more than shown, so switching ranges down and back up has no gap at the edge.
    this.points = pointsSince(this.points, toMs - Math.max(this.fetchedSpanMs, rangeSpanMs(this.rangeKey)) - 60_000);
    const shown = pointsSince(this.points, fromMs);
    this.charts.update(chartColumns(shown, this.charts.temperatureIds), [fromMs / 1000, toMs / 1000]);
    this.timeline.render(this.transitions, fromMs, toMs, this.detail.view.state);
    const seen = this.facts.querySelector("[data-fact=seen]");
    if (seen) setText(seen, seenText(this.detail.view.lastSeenMs));
  }

  destroy(): void {
    this.destroyed = true;
    this.charts?.destroy();
  }

  private window(): { fromMs: number; toMs: number } {
    // Agent clocks may run ahead of the browser's; never cut off the newest point.
    const latestMs = this.points.at(-1)?.ts ?? 0;
    const toMs = Math.max(Date.now(), latestMs);
    return { fromMs: toMs - rangeSpanMs(this.rangeKey), toMs };
  }

  private setRange(key: ChartRangeKey): void {
    if (key === this.rangeKey) return;
    this.rangeKey = key;
    this.markRange();
    this.onRangeChange(key);
    if (rangeSpanMs(key) > this.fetchedSpanMs) void this.fetchHistory();
    else this.tick();
  }

  private markRange(): void {
    for (const [key, button] of this.rangeButtons) button.setAttribute("aria-pressed", String(key === this.rangeKey));
  }

  private async fetchHistory(): Promise<void> {
    const { fromMs, toMs } = this.window();
    const spanMs = rangeSpanMs(this.rangeKey);
    try {
      const [points, transitions] = await Promise.all([
        fetchTelemetry(this.hostId, fromMs, toMs, TELEMETRY_FETCH_LIMIT),
        fetchTransitions(this.hostId, fromMs - TRANSITION_LOOKBACK_MS, toMs),
      ]);
      if (this.destroyed) return;
      this.points = mergePoints(this.points, points);
      this.transitions = mergeTransitions(this.transitions, transitions);
      this.fetchedSpanMs = Math.max(this.fetchedSpanMs, spanMs);
      this.showMessage(null);
      this.tick();
    } catch (err) {
      this.showMessage(`Could not load history: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private buildCharts(detail: ApiHostDetail): void {
    const hasPump = detail.view.capabilities?.pump !== undefined || detail.view.pumpPct !== undefined;
    this.charts = new HostCharts(detail.view.temperatures, hasPump);
    const [temperature, ...rest] = this.charts.all;
    temperature!.root.classList.add("wide");
    this.chartGrid.replaceChildren(temperature!.root, ...rest.map((c) => c.root));
  }

  private renderFacts(view: ApiHost): void {
    updateStateBadge(this.badge, view.state);
    this.badge.setAttribute("data-testid", "host-state");
    const t = view.hottest;
    const birth = this.detail?.birth;
    const fact = (label: string, value: string, key?: string, attrs: Record<string, string> = {}): HTMLElement =>
      el("div", { class: "fact" }, el("dt", {}, label), el("dd", { "data-fact": key, ...attrs }, value));
    this.facts.replaceChildren(
      fact("Link", view.online ? "online" : "offline", "link", { "data-online": String(view.online) }),
      fact("Mode", view.mode ?? DASH, "mode", { "data-mode": view.mode ?? "none" }),
      fact("Alarms", view.alarms && view.alarms.length > 0 ? view.alarms.map((a) => `${a.kind} (${a.source})`).join(", ") : "none", "alarms", {
        "data-alarms": String(view.alarms?.length ?? 0),
      }),
      fact(
        "Hottest",
        t ? `${t.id} ${formatTempC(t.tempC)} (${formatMarginK(t.tempC - t.targetC)})` : DASH,
        "hottest",
        { "data-level": heatLevel(t), "data-testid": "host-hottest" },
      ),
      fact("Fan", formatPct(view.fanPct), "fan", { "data-testid": "host-fan" }),
      fact("Pump", formatPct(view.pumpPct), "pump"),
      fact("Power", formatWatts(view.powerW), "power", { "data-testid": "host-power" }),
      fact("CPU", formatPct(view.cpuUtilPct), "cpu"),
      fact("Disk", view.diskMBps === null ? DASH : `${formatNumber(view.diskMBps, 1)} MB/s`, "disk"),
      fact("Agent", birth ? `${birth.agentVersion} · ${view.periodMs} ms` : DASH, "agent", { title: `boot ${view.boot ?? DASH}` }),
      fact("Seen", seenText(view.lastSeenMs), "seen"),
    );
    document.title = `${view.hostId} · ${view.state} · coolfleet`;
  }

  private showMessage(text: string | null): void {
    this.message.hidden = text === null;
    this.message.textContent = text ?? "";
  }
}

function seenText(lastSeenMs: number | undefined): string {
  return lastSeenMs === undefined ? DASH : `${formatAge(Date.now() - lastSeenMs)} ago`;
}

function mergeTransitions(
  existing: readonly StateTransitionRecord[],
  incoming: readonly StateTransitionRecord[],
): StateTransitionRecord[] {
  const key = (t: StateTransitionRecord): string => `${t.atMs}/${t.from}/${t.to}`;
  const byKey = new Map(existing.map((t) => [key(t), t]));
  for (const t of incoming) byKey.set(key(t), t);
  return [...byKey.values()].sort((a, b) => a.atMs - b.atMs);
}
