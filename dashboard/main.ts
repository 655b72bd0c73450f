import "uplot/dist/uPlot.min.css";
import "./styles.css";
import type { ApiFleetEvent } from "../src/controller/http/api-types.js";
import { fetchHosts, fetchSummary } from "./api-client.js";
import { FleetEventSource } from "./fleet-event-source.js";
import { renderFleetSummary } from "./fleet-summary-view.js";
import { hostHash, parseRoute } from "./hash-route.js";
import { HostDetailView } from "./host-detail-view.js";
import { HostTableView } from "./host-table-view.js";
import { LiveIndicator } from "./live-indicator.js";

/** Without summary events for this long (a controller that does not push them), the header polls. */
const SUMMARY_POLL_MS = 10_000;

function required<T extends HTMLElement>(selector: string): T {
  const node = document.querySelector<T>(selector);
  if (!node) throw new Error(`dashboard: ${selector} missing from index.html`);
  return node;
}

/** Wires the event stream to the header and to whichever view the URL fragment selects. */
class Dashboard {
  private readonly viewRoot = required<HTMLElement>("#view");
  private readonly summaryRoot = required<HTMLElement>("[data-testid=fleet-summary]");
  private readonly crumb = required<HTMLElement>("#crumb");
  private readonly live = new LiveIndicator(required<HTMLElement>("[data-testid=live-indicator]"));
  private readonly table = new HostTableView();
  private detail: HostDetailView | undefined;
  private lastSummaryMs = 0;

  start(): void {
    window.addEventListener("hashchange", () => this.route());
    this.route();
    void this.refreshHosts();
    void this.refreshSummary();
    new FleetEventSource({
      onEvent: (event) => this.onEvent(event),
      onStatus: (status) => this.live.setStatus(status),
      onResync: () => {
        void this.refreshSummary();
        this.detail?.resync();
      },
    }).start();
    window.setInterval(() => this.tick(), 1_000);
  }

  private onEvent(event: ApiFleetEvent): void {
    this.live.markUpdate();
    if (event.type === "hosts") this.table.update(event.hosts);
    if (event.type === "summary") {
      this.lastSummaryMs = Date.now();
      renderFleetSummary(this.summaryRoot, event.summary);
    }
    this.detail?.onEvent(event);
  }

  private tick(): void {
    this.table.tick();
    this.detail?.tick();
    if (Date.now() - this.lastSummaryMs > SUMMARY_POLL_MS) void this.refreshSummary();
  }

  private route(): void {
    const route = parseRoute(window.location.hash);
    if (route.view === "host" && this.detail?.hostId === route.hostId) return;
    this.detail?.destroy();
    this.detail = undefined;
    if (route.view === "fleet") {
      this.crumb.textContent = "";
      document.title = "Fleet · coolfleet";
      this.viewRoot.replaceChildren(this.table.root);
      return;
    }
    const detail = new HostDetailView(route.hostId, route.range, (range) => {
      // replaceState: a range change is not a navigation the back button should step through.
      history.replaceState(null, "", hostHash(route.hostId, range));
    });
    this.detail = detail;
    this.crumb.textContent = `/ ${route.hostId}`;
    this.viewRoot.replaceChildren(detail.root);
    void detail.load();
  }

  private async refreshHosts(): Promise<void> {
    try {
      this.table.update(await fetchHosts());
    } catch (err) {
      console.error("coolfleet: could not load hosts", err);
    }
  }

  private async refreshSummary(): Promise<void> {
    this.lastSummaryMs = Date.now();
    try {
      renderFleetSummary(this.summaryRoot, await fetchSummary());
    } catch (err) {
      console.error("coolfleet: could not load the fleet summary", err);
    }
  }
}

new Dashboard().start();
