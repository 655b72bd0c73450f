/** Physical constants and numerical limits shared by the dynamic model and the steady-state solver. */

/** Heat capacity flow of 1 CFM of air at ~30 °C: 1.16 kg/m³ × 1007 J/(kg·K) × 4.72e-4 m³/s. */
export const AIR_W_PER_K_PER_CFM = 0.55;

/** Heat capacity flow of 1 L/min of water: 4186 J/(kg·K) × 1/60 kg/s. */
export const WATER_W_PER_K_PER_LPM = 69.8;

/** A chassis whose fans have all stopped still moves a little air by buoyancy; keeps resistances finite. */
export const NATURAL_DRAFT_CFM = 3;

/** A loop with a stopped pump still circulates a little by thermosiphon; keeps the cold-plate resistance finite. */
export const THERMOSIPHON_LPM = 0.02;

/**
 * Leakage is evaluated at most at this die temperature. A real package trips (THERMTRIP) well before it; the cap
 * only keeps a runaway simulation finite when throttling is disabled.
 */
export const LEAKAGE_CEILING_C = 150;

/** The steady-state solver calls a die runaway when no fixed point exists below this temperature. */
export const RUNAWAY_CEILING_C = 150;

/** Longest internal integration step; agents sample at 1 s, die time constants are a few seconds. */
export const MAX_SUBSTEP_S = 0.5;
