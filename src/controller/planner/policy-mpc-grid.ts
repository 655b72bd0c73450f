// The candidate levels MPC predicts each host for: fan levels, and fan × pump pairs on liquid-cooled hosts.

/** The candidate nearest to what a host runs (fan, and pump when the candidates have one). */
export function nearestIndex(fans: readonly number[], pumps: readonly number[] | undefined, fanPct: number, pumpPct: number): number {
  let best = 0;
  let bestD = Infinity;
  fans.forEach((f, i) => {
    const d = Math.abs(f - fanPct) + (pumps ? Math.abs((pumps[i] ?? 0) - pumpPct) : 0);
    if (d < bestD) {
      best = i;
      bestD = d;
    }
  });
  return best;
}

/** Every fan level with every pump level: aligned lists, fan-major. */
export function pairGrid(fans: readonly number[], pumps: readonly number[]): { candidates: number[]; pumps: number[] } {
  const out = { candidates: [] as number[], pumps: [] as number[] };
  for (const f of fans) {
    for (const p of pumps) {
      out.candidates.push(f);
      out.pumps.push(p);
    }
  }
  return out;
}

/** Levels from low to high (both included) every stepPct. */
export function candidateGrid(lowPct: number, highPct: number, stepPct: number): number[] {
  const grid: number[] = [];
  for (let pct = lowPct; pct < highPct - 1e-9; pct += stepPct) grid.push(Math.round(pct * 100) / 100);
  grid.push(highPct);
  return grid;
}
