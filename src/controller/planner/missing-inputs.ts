import type { HostHistory } from "../model/host-history.js";
import type { ModelLayout } from "../model/model-layout.js";

/**
 * The model's state inputs a host cannot give it: features that are not finite because a reading they need has had
 * no trusted value in the whole history (a host without an inlet sensor, or whose inlet the agent config does not
 * match). A network fed NaN still returns numbers, so these hosts must never reach it.
 */
export function missingStateInputs(layout: ModelLayout, history: HostHistory, scratch: Float32Array): string[] {
  layout.writeState(history, scratch, 0);
  const missing: string[] = [];
  for (let i = 0; i < layout.state.length; i++) if (!Number.isFinite(scratch[i])) missing.push(layout.state[i] ?? `#${i}`);
  return missing;
}
