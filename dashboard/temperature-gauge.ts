import type { HottestTemperature } from "../src/controller/http/api-types.js";
import { el, setAttr } from "./dom.js";

/** Bars start here: roughly a cold inlet, so the visible span is the part of the scale that matters. */
const GAUGE_FLOOR_C = 20;
/** Within this many kelvin below target a sensor is "warm": no action yet, but worth a look. */
const WARM_BAND_K = 5;

export type HeatLevel = "cool" | "warm" | "hot" | "critical" | "unknown";

export function heatLevel(t: HottestTemperature | null): HeatLevel {
  if (t === null) return "unknown";
  if (t.tempC >= t.criticalC) return "critical";
  if (t.tempC >= t.targetC) return "hot";
  if (t.tempC >= t.targetC - WARM_BAND_K) return "warm";
  return "cool";
}

function fraction(valueC: number, criticalC: number): number {
  const span = Math.max(1, criticalC - GAUGE_FLOOR_C);
  return Math.min(1, Math.max(0, (valueC - GAUGE_FLOOR_C) / span));
}

/** A small bar: fill = temperature between 20 °C and critical, tick = target. */
export function createGauge(): HTMLElement {
  return el("span", { class: "gauge", "aria-hidden": "true" }, el("span", { class: "gauge-fill" }), el("span", { class: "gauge-target" }));
}

export function updateGauge(gauge: HTMLElement, t: HottestTemperature | null): void {
  const fill = gauge.querySelector<HTMLElement>(".gauge-fill")!;
  const target = gauge.querySelector<HTMLElement>(".gauge-target")!;
  setAttr(gauge, "data-level", heatLevel(t));
  fill.style.width = t === null ? "0" : `${(fraction(t.tempC, t.criticalC) * 100).toFixed(1)}%`;
  target.style.left = t === null ? "0" : `${(fraction(t.targetC, t.criticalC) * 100).toFixed(1)}%`;
  target.hidden = t === null;
}
