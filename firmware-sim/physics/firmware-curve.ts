/**
 * The stepwise temperature → fan % curve a BMC or SMC applies in automatic mode: the fan % of the highest step
 * whose temperature is at or below the input; below the first step, the first step's fan %.
 */
export function firmwareFanPct(curve: readonly (readonly [number, number])[], tempC: number): number {
  let pct = curve[0]?.[1] ?? 100;
  for (const [stepC, stepPct] of curve) {
    if (tempC >= stepC) pct = stepPct;
    else break;
  }
  return pct;
}
