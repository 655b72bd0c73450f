import { CoolfleetError, ErrorCode } from "../../core/errors.js";

/** One row of a stepwise curve: at or above marginC (tempC − targetC), run the fans at fanPct. */
export interface CurveStep {
  marginC: number;
  fanPct: number;
}

/**
 * A stock-BMC-like stepwise curve relative to the sensor's target, with the shape of the PowerEdge firmware curve in
 * firmware-sim/profiles but 10–30 points of fan leaner at every temperature (that curve runs 70 % at 80 °C, this one
 * 40 % at a margin of −10 °C). At full load it sits near the simulated server's whole-energy optimum (~70 % fan), so
 * it is a demanding baseline: a saving against it is not a saving against an over-cooling firmware.
 */
export const DEFAULT_CURVE_STEPS: readonly CurveStep[] = Object.freeze([
  { marginC: -25, fanPct: 20 },
  { marginC: -20, fanPct: 25 },
  { marginC: -15, fanPct: 30 },
  { marginC: -10, fanPct: 40 },
  { marginC: -5, fanPct: 55 },
  { marginC: 0, fanPct: 70 },
  { marginC: 3, fanPct: 85 },
  { marginC: 6, fanPct: 100 },
]);

/** Refuses a curve the stepping logic cannot honour: empty, unsorted, falling fan %, or non-finite numbers. */
export function validateCurve(steps: readonly CurveStep[], name: string): void {
  const fail = (why: string): never => {
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `stepwise curve ${name}: ${why}`);
  };
  if (steps.length === 0) fail("needs at least one step");
  steps.forEach((step, i) => {
    if (!Number.isFinite(step.marginC) || !Number.isFinite(step.fanPct)) fail(`step ${i} has a non-finite number`);
    if (step.fanPct < 0 || step.fanPct > 100) fail(`step ${i}: fanPct ${step.fanPct} is outside 0..100`);
    const prev = steps[i - 1];
    if (prev && step.marginC <= prev.marginC) fail(`step ${i}: margins must rise from step to step (${prev.marginC} then ${step.marginC})`);
    if (prev && step.fanPct < prev.fanPct) fail(`step ${i}: fan % must not fall as temperature rises (${prev.fanPct} then ${step.fanPct})`);
  });
}

/** Highest step whose threshold (shifted by shiftC) is at or below marginC; 0 below the first step. */
function highestStepAtOrBelow(steps: readonly CurveStep[], marginC: number, shiftC: number): number {
  let index = 0;
  steps.forEach((step, i) => {
    if (marginC >= step.marginC - shiftC) index = i;
  });
  return index;
}

/**
 * The step to run after seeing marginC, from currentIndex (undefined = no memory yet: plain table lookup).
 * Up at once to the highest step reached; down only once marginC has fallen hysteresisC below the current step's
 * threshold, and then only to the highest step whose threshold − hysteresisC it still holds, so it cannot chatter
 * on any step boundary (the phosphor-pid-control / iDRAC stepwise behaviour).
 */
export function nextStepIndex(steps: readonly CurveStep[], currentIndex: number | undefined, marginC: number, hysteresisC: number): number {
  const rawIndex = highestStepAtOrBelow(steps, marginC, 0);
  if (currentIndex === undefined || rawIndex > currentIndex) return rawIndex;
  const current = steps[currentIndex];
  if (!current || marginC >= current.marginC - hysteresisC) return Math.min(currentIndex, steps.length - 1);
  return highestStepAtOrBelow(steps, marginC, hysteresisC);
}
