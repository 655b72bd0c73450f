import type { HostTrace } from "./engine.js";
import type { PolicySummary } from "./report.js";

/** Hand-written SVG: no plotting dependency, and the files diff and render anywhere (GitHub shows them inline). */

const COLOURS: Record<string, string> = { fw: "#8c564b", b0: "#7f7f7f", b1: "#d62728", b2: "#1f77b4", b3: "#2ca02c", mpc: "#9467bd" };
const colour = (policy: string): string => COLOURS[policy] ?? "#ff7f0e";
const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

interface Frame {
  x: number;
  y: number;
  w: number;
  h: number;
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * mag >= v) return m * mag;
  return 10 * mag;
}

function axes(f: Frame, xMin: number, xMax: number, yMin: number, yMax: number, xLabel: string, yLabel: string): string {
  const parts = [`<rect x="${f.x}" y="${f.y}" width="${f.w}" height="${f.h}" fill="none" stroke="#333"/>`];
  for (let i = 0; i <= 4; i++) {
    const xv = xMin + ((xMax - xMin) * i) / 4;
    const yv = yMin + ((yMax - yMin) * i) / 4;
    const px = f.x + (f.w * i) / 4;
    const py = f.y + f.h - (f.h * i) / 4;
    parts.push(`<line x1="${px}" y1="${f.y}" x2="${px}" y2="${f.y + f.h}" stroke="#ddd"/>`);
    parts.push(`<line x1="${f.x}" y1="${py}" x2="${f.x + f.w}" y2="${py}" stroke="#ddd"/>`);
    parts.push(`<text x="${px}" y="${f.y + f.h + 14}" font-size="11" text-anchor="middle">${+xv.toPrecision(3)}</text>`);
    parts.push(`<text x="${f.x - 6}" y="${py + 4}" font-size="11" text-anchor="end">${+yv.toPrecision(3)}</text>`);
  }
  parts.push(`<text x="${f.x + f.w / 2}" y="${f.y + f.h + 30}" font-size="12" text-anchor="middle">${esc(xLabel)}</text>`);
  parts.push(`<text transform="translate(${f.x - 44},${f.y + f.h / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(yLabel)}</text>`);
  return parts.join("");
}

/** Held-out cooling energy (x) against time above target (y), one point per policy: down-left is better. */
export function energyViolationSvg(summaries: readonly PolicySummary[], title: string): string {
  const f: Frame = { x: 70, y: 40, w: 460, h: 300 };
  const xMax = niceMax(Math.max(...summaries.map((s) => s.coolingEnergyJ / 3600)) * 1.1);
  const yMax = niceMax(Math.max(1, ...summaries.map((s) => s.aboveTargetS)) * 1.1);
  const points = summaries.map((s) => {
    const px = f.x + (f.w * s.coolingEnergyJ) / 3600 / xMax;
    const py = f.y + f.h - (f.h * s.aboveTargetS) / yMax;
    const ring = s.throttleS > 0 || s.overLimitS > 0 ? `<circle cx="${px}" cy="${py}" r="10" fill="none" stroke="#d62728" stroke-dasharray="3,2"/>` : "";
    return `<circle cx="${px}" cy="${py}" r="6" fill="${colour(s.policy)}"/>${ring}<text x="${px + 9}" y="${py - 8}" font-size="12">${esc(s.policy)}</text>`;
  });
  return svg(600, 400, [
    `<text x="${f.x}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
    axes(f, 0, xMax, 0, yMax, "cooling energy, Wh per host (held-out total)", "s above target per host"),
    ...points,
    `<text x="${f.x + f.w}" y="${f.y + 14}" font-size="11" text-anchor="end">dashed ring: throttled or over a hard limit</text>`,
  ]);
}

function polyline(f: Frame, xs: readonly number[], ys: readonly number[], xMax: number, yMin: number, yMax: number, stroke: string, width = 1.2): string {
  const step = Math.max(1, Math.floor(xs.length / 900));
  const pts: string[] = [];
  for (let i = 0; i < xs.length; i += step) {
    const px = f.x + (f.w * (xs[i] ?? 0)) / xMax;
    const py = f.y + f.h - (f.h * ((ys[i] ?? yMin) - yMin)) / (yMax - yMin);
    pts.push(`${px.toFixed(1)},${Math.min(f.y + f.h, Math.max(f.y, py)).toFixed(1)}`);
  }
  return `<polyline fill="none" stroke="${stroke}" stroke-width="${width}" points="${pts.join(" ")}"/>`;
}

/** One host under every policy: true die temperature (top, with the target line) and fan output (bottom). */
export function hostTraceSvg(traces: ReadonlyMap<string, HostTrace>, title: string, targetC: number): string {
  const top: Frame = { x: 70, y: 40, w: 760, h: 220 };
  const bottom: Frame = { x: 70, y: 310, w: 760, h: 160 };
  const all = [...traces.values()];
  const xMax = niceMax(Math.max(1, ...all.map((t) => t.tS[t.tS.length - 1] ?? 0)));
  const dies = all.flatMap((t) => t.dieC);
  const yMin = Math.floor(Math.min(...dies) / 10) * 10;
  const yMax = Math.max(targetC + 10, Math.ceil(Math.max(...dies) / 5) * 5);
  const parts = [
    `<text x="${top.x}" y="22" font-size="14" font-weight="bold">${esc(title)}</text>`,
    axes(top, 0, xMax, yMin, yMax, "", "die °C (true)"),
    axes(bottom, 0, xMax, 0, 100, "time, s", "fan %"),
  ];
  const targetY = top.y + top.h - (top.h * (targetC - yMin)) / (yMax - yMin);
  parts.push(`<line x1="${top.x}" y1="${targetY}" x2="${top.x + top.w}" y2="${targetY}" stroke="#000" stroke-dasharray="6,3"/>`);
  parts.push(`<text x="${top.x + top.w - 4}" y="${targetY - 4}" font-size="11" text-anchor="end">target ${targetC} °C</text>`);
  let legendX = top.x;
  for (const [policy, t] of traces) {
    parts.push(polyline(top, t.tS, t.dieC, xMax, yMin, yMax, colour(policy)));
    parts.push(polyline(bottom, t.tS, t.fanPct, xMax, 0, 100, colour(policy)));
    parts.push(`<rect x="${legendX}" y="${top.y + top.h + 22}" width="12" height="4" fill="${colour(policy)}"/><text x="${legendX + 16}" y="${top.y + top.h + 28}" font-size="12">${esc(policy)}</text>`);
    legendX += 70;
  }
  return svg(880, 510, parts);
}

function svg(width: number, height: number, parts: readonly string[]): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="#fff"/>${parts.join("")}</svg>\n`;
}
