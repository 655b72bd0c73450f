import type uPlot from "uplot";
import type { HostTemperature } from "../src/controller/types.js";
import { fromZero, percentRange, TimeChart, type LimitLine, type ScaleRange } from "./time-chart.js";
import type { ChartColumns } from "./telemetry-series.js";

/** Distinguishable on a dark background, in order of assignment to sensors. */
const SENSOR_COLORS = ["#f0883e", "#58a6ff", "#d2a8ff", "#7ee787", "#ffa657", "#79c0ff", "#ff7b72", "#e3b341"];
const TARGET_COLOR = "#d29922";
const CRITICAL_COLOR = "#f85149";

/** The five charts of a host view, built for that host's controlled sensors. */
export class HostCharts {
  readonly temperature: TimeChart;
  readonly fan: TimeChart;
  readonly load: TimeChart;
  readonly disk: TimeChart;
  readonly energy: TimeChart;
  private readonly sensorIds: string[];

  constructor(
    temperatures: readonly HostTemperature[],
    private readonly hasPump: boolean,
  ) {
    this.sensorIds = temperatures.map((t) => t.id);
    this.temperature = new TimeChart({
      testid: "chart-temperature",
      title: "Temperatures — controlled sensors, target and critical",
      heightPx: 240,
      yUnit: "°",
      yRange: temperatureRange(temperatures),
      series: temperatures.map((t, i) => ({
        label: `${t.id} (${t.role})`,
        color: SENSOR_COLORS[i % SENSOR_COLORS.length]!,
        unit: " °C",
        decimals: 1,
      })),
      limitLines: limitLines(temperatures),
    });
    this.fan = new TimeChart({
      testid: "chart-fan",
      title: hasPump ? "Fans and pump" : "Fans",
      heightPx: 160,
      yUnit: "%",
      yRange: percentRange,
      series: [
        { label: "fan", color: "#58a6ff", unit: " %", decimals: 0 },
        // Dashed: fan and pump often run at similar duty, and the lines would merge.
        ...(hasPump ? [{ label: "pump", color: "#39c5cf", unit: " %", decimals: 0, dash: [6, 3] }] : []),
      ],
    });
    this.load = new TimeChart({
      testid: "chart-load",
      title: "CPU load",
      heightPx: 160,
      yUnit: "%",
      yRange: percentRange,
      series: [{ label: "CPU", color: "#a371f7", unit: " %", decimals: 0 }],
    });
    this.disk = new TimeChart({
      testid: "chart-disk",
      title: "Disk I/O (MB/s)",
      heightPx: 160,
      yUnit: "",
      yRange: fromZero,
      series: [{ label: "read + write", color: "#e3b341", unit: " MB/s", decimals: 1 }],
    });
    this.energy = new TimeChart({
      testid: "chart-energy",
      title: "Power (W) and energy over the range (kWh)",
      heightPx: 160,
      yUnit: " W",
      yRange: fromZero,
      series: [
        { label: "power", color: "#f0883e", unit: " W", decimals: 0 },
        { label: "energy", color: "#7ee787", unit: " kWh", decimals: 3, scale: "y2" },
      ],
      y2: { unit: "", color: "#7ee787", range: fromZero, decimals: 2 },
    });
  }

  get all(): TimeChart[] {
    return [this.temperature, this.fan, this.load, this.disk, this.energy];
  }

  get temperatureIds(): readonly string[] {
    return this.sensorIds;
  }

  update(columns: ChartColumns, xRangeS: [number, number]): void {
    const x = columns.tsS;
    const temps = this.sensorIds.map((id) => columns.tempsC.get(id) ?? []);
    this.temperature.setData([x, ...temps] as uPlot.AlignedData, xRangeS);
    this.fan.setData(this.hasPump ? [x, columns.fanPct, columns.pumpPct] : [x, columns.fanPct], xRangeS);
    this.load.setData([x, columns.cpuUtilPct] as uPlot.AlignedData, xRangeS);
    this.disk.setData([x, columns.diskMBps] as uPlot.AlignedData, xRangeS);
    this.energy.setData([x, columns.powerW, columns.energyKWh] as uPlot.AlignedData, xRangeS);
  }

  destroy(): void {
    for (const chart of this.all) chart.destroy();
  }
}

/** Always shows the targets and the highest critical limit, so the headroom is visible, not just the wiggle. */
function temperatureRange(temperatures: readonly HostTemperature[]): ScaleRange {
  const limits = temperatures.flatMap((t) => [t.targetC, t.criticalC]);
  const lowLimit = limits.length > 0 ? Math.min(...limits) : 40;
  const highLimit = limits.length > 0 ? Math.max(...limits) : 90;
  return (min, max) => [Math.floor(Math.min(min ?? lowLimit, lowLimit) - 5), Math.ceil(Math.max(max ?? highLimit, highLimit) + 3)];
}

/** One line per distinct limit value: two CPUs with the same target share a line and a label. */
function limitLines(temperatures: readonly HostTemperature[]): LimitLine[] {
  const sensorsByLimit = new Map<string, { kind: "target" | "critical"; value: number; ids: string[] }>();
  for (const t of temperatures) {
    for (const [kind, value] of [["target", t.targetC], ["critical", t.criticalC]] as const) {
      const key = `${kind}:${value}`;
      const entry = sensorsByLimit.get(key) ?? { kind, value, ids: [] };
      entry.ids.push(t.id);
      sensorsByLimit.set(key, entry);
    }
  }
  return [...sensorsByLimit.values()].map(({ kind, value, ids }) => ({
    value,
    label: `${kind} ${value} °C · ${ids.join(", ")}`,
    color: kind === "target" ? TARGET_COLOR : CRITICAL_COLOR,
  }));
}
