import uPlot from "uplot";
import { el } from "./dom.js";
import { formatClock, formatNumber } from "./format.js";

export interface SeriesSpec {
  label: string;
  color: string;
  /** Suffix in the legend, e.g. " °C". */
  unit: string;
  decimals: number;
  /** Defaults to "y"; "y2" for the right-hand axis. */
  scale?: "y" | "y2";
  dash?: number[];
}

/** A horizontal reference line (a sensor's target or critical limit). */
export interface LimitLine {
  value: number;
  label: string;
  color: string;
}

export type ScaleRange = (dataMin: number | null, dataMax: number | null) => [number, number];

export interface TimeChartSpec {
  testid: string;
  title: string;
  heightPx: number;
  series: SeriesSpec[];
  yUnit: string;
  yRange: ScaleRange;
  y2?: { unit: string; color: string; range: ScaleRange; decimals: number };
  limitLines?: LimitLine[];
}

/** Charts of one host share a cursor: hovering one shows the same instant on all. */
const CURSOR_SYNC_KEY = "coolfleet-host";

const THEME = {
  axis: "#8b949e",
  grid: "rgba(240, 246, 252, 0.07)",
  font: "11px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  /** The panel colour (--panel in styles.css): canvas cannot read CSS variables cheaply. */
  labelBackground: "#131920",
};

/** Zero-based with 10 % headroom, for quantities that are never negative (MB/s, W, kWh). */
export const fromZero: ScaleRange = (_min, max) => [0, max === null || max <= 0 ? 1 : max * 1.1];
export const percentRange: ScaleRange = () => [0, 100];

/** A uPlot time-series chart in a titled panel that follows its container's width. */
export class TimeChart {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private plot: uPlot | undefined;
  private xRangeS: [number, number] = [0, 1];
  private data: uPlot.AlignedData;
  private readonly resizeObserver: ResizeObserver;

  constructor(private readonly spec: TimeChartSpec) {
    this.body = el("div", { class: "chart-body" });
    this.root = el(
      "figure",
      { class: "panel chart", "data-testid": spec.testid },
      el("figcaption", {}, spec.title),
      this.body,
    );
    this.data = [[], ...spec.series.map(() => [])];
    // Created on first layout: uPlot needs a real width, and the panel may not be in the document yet.
    this.resizeObserver = new ResizeObserver((entries) => {
      const width = Math.floor(entries[0]?.contentRect.width ?? 0);
      if (width <= 0) return;
      if (this.plot) this.plot.setSize({ width, height: spec.heightPx });
      else this.create(width);
    });
    this.resizeObserver.observe(this.body);
  }

  setData(data: uPlot.AlignedData, xRangeS: [number, number]): void {
    this.data = data;
    this.xRangeS = xRangeS;
    this.plot?.setData(data);
  }

  destroy(): void {
    this.resizeObserver.disconnect();
    this.plot?.destroy();
  }

  private create(width: number): void {
    const { spec } = this;
    const axis = (scale: string, unit: string, side: 1 | 3, color = THEME.axis, decimals = 0): uPlot.Axis => ({
      scale,
      side,
      stroke: color,
      font: THEME.font,
      size: 52,
      gap: 4,
      grid: { show: side === 3, stroke: THEME.grid, width: 1 },
      ticks: { show: true, stroke: THEME.grid, width: 1, size: 3 },
      values: (_u, splits) => splits.map((v) => `${formatNumber(v, decimals)}${unit}`),
    });
    const scales: uPlot.Scales = {
      x: { time: true, range: () => this.xRangeS },
      y: { range: (_u, min, max) => spec.yRange(nullable(min), nullable(max)) },
    };
    const axes: uPlot.Axis[] = [
      {
        stroke: THEME.axis,
        font: THEME.font,
        space: 80,
        grid: { stroke: THEME.grid, width: 1 },
        ticks: { stroke: THEME.grid, width: 1, size: 3 },
        values: (_u, splits, _axis, _space, incrS) => splits.map((s) => formatTimeTick(s, incrS)),
      },
      axis("y", spec.yUnit, 3),
    ];
    if (spec.y2) {
      const y2 = spec.y2;
      scales["y2"] = { range: (_u, min, max) => y2.range(nullable(min), nullable(max)) };
      axes.push({ ...axis("y2", y2.unit, 1, y2.color, y2.decimals), size: 64 });
    }
    const options: uPlot.Options = {
      width,
      height: spec.heightPx,
      scales,
      axes,
      series: [
        { value: (_u, tsS) => (tsS === null ? "–" : formatClock(tsS * 1000)) },
        ...spec.series.map(
          (s): uPlot.Series => ({
            label: s.label,
            scale: s.scale ?? "y",
            stroke: s.color,
            width: 1.5,
            dash: s.dash,
            points: { show: false },
            spanGaps: false,
            value: (_u, v) => (v === null || v === undefined ? "–" : `${formatNumber(v, s.decimals)}${s.unit}`),
          }),
        ),
      ],
      cursor: { sync: { key: CURSOR_SYNC_KEY }, drag: { x: false, y: false }, points: { size: 6 } },
      legend: { live: true },
      hooks: {
        draw: [(u) => drawLimitLines(u, spec.limitLines ?? [])],
        // Off the chart the legend would read "–"; the latest values are what an operator wants there.
        setCursor: [showLatestWhenIdle],
        setData: [showLatestWhenIdle],
      },
    };
    this.plot = new uPlot(options, this.data, this.body);
  }
}

function showLatestWhenIdle(u: uPlot): void {
  if (u.cursor.idx !== null && u.cursor.idx !== undefined) return;
  const last = u.data[0].length - 1;
  if (last >= 0) u.setLegend({ idx: last }, false);
}

/** 24-hour wall-clock ticks; seconds only when the ticks are less than a minute apart. */
function formatTimeTick(tsS: number, incrS: number): string {
  const date = new Date(tsS * 1000);
  const hh = String(date.getHours()).padStart(2, "0");
  const mm = String(date.getMinutes()).padStart(2, "0");
  if (incrS >= 60) return `${hh}:${mm}`;
  return `${hh}:${mm}:${String(date.getSeconds()).padStart(2, "0")}`;
}

function nullable(value: number | null | undefined): number | null {
  return value === undefined || value === null || !Number.isFinite(value) ? null : value;
}

function drawLimitLines(u: uPlot, lines: readonly LimitLine[]): void {
  if (lines.length === 0) return;
  const { ctx, bbox } = u;
  const ratio = window.devicePixelRatio || 1;
  ctx.save();
  ctx.lineWidth = ratio;
  ctx.setLineDash([4 * ratio, 4 * ratio]);
  ctx.font = `${10 * ratio}px system-ui, sans-serif`;
  ctx.textAlign = "right";
  ctx.textBaseline = "bottom";
  for (const line of lines) {
    const y = Math.round(u.valToPos(line.value, "y", true));
    if (y < bbox.top || y > bbox.top + bbox.height) continue;
    ctx.strokeStyle = line.color;
    ctx.globalAlpha = 0.75;
    ctx.beginPath();
    ctx.moveTo(bbox.left, y);
    ctx.lineTo(bbox.left + bbox.width, y);
    ctx.stroke();
    // A backing box keeps the label legible where it crosses a series.
    const textRight = bbox.left + bbox.width - 4 * ratio;
    const textWidth = ctx.measureText(line.label).width;
    ctx.globalAlpha = 0.85;
    ctx.fillStyle = THEME.labelBackground;
    ctx.fillRect(textRight - textWidth - 3 * ratio, y - 13 * ratio, textWidth + 6 * ratio, 12 * ratio);
    ctx.globalAlpha = 1;
    ctx.fillStyle = line.color;
    ctx.fillText(line.label, textRight, y - 2 * ratio);
  }
  ctx.restore();
}
