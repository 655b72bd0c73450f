import type { ApiHost } from "../src/controller/http/api-types.js";
import { formatPlanRoute } from "../src/controller/planner/plan-route.js";
import { HOST_STATES } from "../src/controller/types.js";
import { el, setAttr, setText } from "./dom.js";
import { DASH, formatAge, formatMarginK, formatNumber, formatPct, formatWatts } from "./format.js";
import { stateBadge, updateStateBadge } from "./state-style.js";
import { createGauge, heatLevel, updateGauge } from "./temperature-gauge.js";

type SortKey = "host" | "state" | "margin" | "fan" | "power" | "cpu";

interface Column {
  label: string;
  title: string;
  sortKey?: SortKey;
  className?: string;
}

const COLUMNS: Column[] = [
  { label: "Host", title: "Host id", sortKey: "host" },
  { label: "State", title: "Controller state machine", sortKey: "state" },
  { label: "Link", title: "Agent online (birth received, no Last Will)" },
  { label: "Mode", title: "Who set the outputs: remote (planner), local (agent PID), override (over-temperature), failsafe" },
  { label: "Planned by", title: "Who plans the host: the policy, or MPC's fallback baseline and why (warm-up, probation, missing-inputs, prediction-error, …); – and why when the planner does not plan it" },
  { label: "Hottest", title: "Controlled sensor with the least headroom to its target" },
  { label: "Temp / target / crit", title: "Hottest sensor: value, target and critical limit", className: "num" },
  { label: "Margin", title: "Temperature minus target: negative is headroom", sortKey: "margin", className: "num" },
  { label: "Fan", title: "Fan duty", sortKey: "fan", className: "num" },
  { label: "Pump", title: "Pump duty", className: "num" },
  { label: "Power", title: "Host power draw", sortKey: "power", className: "num" },
  { label: "CPU", title: "CPU utilisation", sortKey: "cpu", className: "num" },
  { label: "Seen", title: "Time since the last telemetry", className: "num" },
];

interface RowRefs {
  row: HTMLTableRowElement;
  badge: HTMLElement;
  link: HTMLElement;
  mode: HTMLElement;
  plan: HTMLElement;
  sensor: HTMLElement;
  temp: HTMLElement;
  gauge: HTMLElement;
  margin: HTMLElement;
  fan: HTMLElement;
  pump: HTMLElement;
  power: HTMLElement;
  cpu: HTMLElement;
  seen: HTMLElement;
}

const margin = (h: ApiHost): number | null => (h.hottest ? h.hottest.tempC - h.hottest.targetC : null);

/** Sort values; null sorts last whatever the direction, so hosts without data never crowd the top. */
const SORT_VALUE: Record<SortKey, (h: ApiHost) => number | string | null> = {
  host: (h) => h.hostId,
  state: (h) => HOST_STATES.indexOf(h.state),
  margin,
  fan: (h) => h.fanPct ?? null,
  power: (h) => h.powerW,
  cpu: (h) => h.cpuUtilPct,
};

/** The fleet table: one row per host, updated in place from `hosts` events; sortable by column. */
export class HostTableView {
  readonly root: HTMLElement;
  private readonly body: HTMLTableSectionElement;
  private readonly headers = new Map<SortKey, HTMLElement>();
  private readonly rows = new Map<string, RowRefs>();
  private readonly empty: HTMLElement;
  private hosts: ApiHost[] = [];
  private sortKey: SortKey = "margin";
  /** Margin sorts descending by default: the host closest to (or over) its limit on top. */
  private descending = true;

  constructor() {
    const headRow = el("tr");
    for (const column of COLUMNS) {
      const th = el("th", { title: column.title, class: column.className, scope: "col" });
      if (column.sortKey) {
        const key = column.sortKey;
        const button = el("button", { type: "button", class: "sort" }, column.label, el("span", { class: "sort-arrow" }));
        button.addEventListener("click", () => this.sortBy(key));
        th.append(button);
        this.headers.set(key, th);
      } else {
        th.textContent = column.label;
      }
      headRow.append(th);
    }
    this.body = el("tbody");
    this.empty = el("div", { class: "empty" }, "No hosts yet. Agents appear here once their birth message reaches the controller.");
    this.root = el(
      "section",
      { class: "panel fleet" },
      el("table", { class: "hosts", "data-testid": "host-table" }, el("thead", {}, headRow), this.body),
      this.empty,
    );
    this.renderSortHeaders();
  }

  update(hosts: ApiHost[]): void {
    this.hosts = hosts;
    this.render();
  }

  /** Re-renders relative times ("seen 3 s ago") between updates. */
  tick(): void {
    const now = Date.now();
    for (const host of this.hosts) {
      const refs = this.rows.get(host.hostId);
      if (refs) setText(refs.seen, host.lastSeenMs === undefined ? DASH : formatAge(now - host.lastSeenMs));
    }
  }

  private sortBy(key: SortKey): void {
    if (this.sortKey === key) this.descending = !this.descending;
    else {
      this.sortKey = key;
      this.descending = key === "margin" || key === "power" || key === "cpu" || key === "fan";
    }
    this.renderSortHeaders();
    this.render();
  }

  private renderSortHeaders(): void {
    for (const [key, th] of this.headers) {
      const active = key === this.sortKey;
      setAttr(th, "aria-sort", active ? (this.descending ? "descending" : "ascending") : "none");
      th.classList.toggle("sorted", active);
    }
  }

  private render(): void {
    const seen = new Set<string>();
    for (const host of this.sorted()) {
      seen.add(host.hostId);
      const refs = this.rows.get(host.hostId) ?? this.createRow(host.hostId);
      fillRow(refs, host);
      // appendChild moves an existing row: the table ends in sorted order without rebuilding rows.
      this.body.append(refs.row);
    }
    for (const [hostId, refs] of this.rows) {
      if (seen.has(hostId)) continue;
      refs.row.remove();
      this.rows.delete(hostId);
    }
    this.empty.hidden = this.hosts.length > 0;
    this.tick();
  }

  private sorted(): ApiHost[] {
    const value = SORT_VALUE[this.sortKey];
    const direction = this.descending ? -1 : 1;
    return [...this.hosts].sort((a, b) => {
      const va = value(a);
      const vb = value(b);
      if (va === null || vb === null) return va === vb ? a.hostId.localeCompare(b.hostId) : va === null ? 1 : -1;
      const order = typeof va === "string" || typeof vb === "string" ? String(va).localeCompare(String(vb)) : va - vb;
      return order !== 0 ? order * direction : a.hostId.localeCompare(b.hostId);
    });
  }

  private createRow(hostId: string): RowRefs {
    const td = (className?: string, testid?: string): HTMLTableCellElement => el("td", { class: className, "data-testid": testid });
    const href = `#/host/${encodeURIComponent(hostId)}`;
    const refs: RowRefs = {
      row: el("tr", { "data-testid": "host-row", "data-host-id": hostId, tabindex: 0 }),
      badge: stateBadge("Setup"),
      link: el("span", { class: "link" }),
      mode: el("span", { class: "mode" }),
      plan: td("plan muted", "host-plan"),
      sensor: td("sensor"),
      temp: el("span", { class: "temp-text" }),
      gauge: createGauge(),
      margin: td("num margin"),
      fan: td("num", "host-fan"),
      pump: td("num"),
      power: td("num", "host-power"),
      cpu: td("num"),
      seen: td("num muted"),
    };
    refs.row.append(
      el("td", { class: "host-id" }, el("a", { href }, hostId)),
      el("td", { "data-testid": "host-state" }, refs.badge),
      el("td", {}, refs.link),
      el("td", {}, refs.mode),
      refs.plan,
      refs.sensor,
      el("td", { class: "num", "data-testid": "host-hottest" }, el("span", { class: "temp" }, refs.temp, refs.gauge)),
      refs.margin,
      refs.fan,
      refs.pump,
      refs.power,
      refs.cpu,
      refs.seen,
    );
    const open = (): void => {
      window.location.hash = href;
    };
    refs.row.addEventListener("click", (event) => {
      if (!(event.target instanceof HTMLAnchorElement)) open();
    });
    refs.row.addEventListener("keydown", (event) => {
      if (event.key === "Enter") open();
    });
    this.rows.set(hostId, refs);
    return refs;
  }
}

function fillRow(refs: RowRefs, host: ApiHost): void {
  const t = host.hottest;
  updateStateBadge(refs.badge, host.state);
  setText(refs.link, host.online ? "online" : "offline");
  setAttr(refs.link, "data-online", String(host.online));
  setText(refs.mode, host.mode ?? DASH);
  setAttr(refs.mode, "data-mode", host.mode ?? "none");
  setText(refs.plan, host.plannedBy ? formatPlanRoute(host.plannedBy).replace(/^-/, DASH) : DASH);
  setAttr(refs.plan, "data-policy", host.plannedBy?.policy ?? "none");
  setText(refs.sensor, t ? t.id : DASH);
  setAttr(refs.sensor, "title", t ? `${t.id} (${t.role})` : "No trusted controlled temperature");
  setText(refs.temp, t ? `${formatNumber(t.tempC, 1)} / ${formatNumber(t.targetC, 0)} / ${formatNumber(t.criticalC, 0)}` : DASH);
  updateGauge(refs.gauge, t);
  setText(refs.margin, formatMarginK(margin(host)));
  setAttr(refs.margin, "data-level", heatLevel(t));
  setText(refs.fan, formatPct(host.fanPct));
  setText(refs.pump, formatPct(host.pumpPct));
  setText(refs.power, formatWatts(host.powerW));
  setText(refs.cpu, formatPct(host.cpuUtilPct));
  refs.row.classList.toggle("offline", !host.online);
  setAttr(refs.row, "data-state", host.state);
}
