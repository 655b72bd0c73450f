import type { TemperatureLimit } from "../config/agent-schema.js";
import type { Reading, ReadingQuality, SensorRole } from "../protocol/index.js";

/** A temperature reading joined with the limit that governs it: what L1 and L2 act on. */
export interface ControlledTemp {
  id: string;
  role: SensorRole;
  tempC: number | null;
  /** quality === "ok" and a finite value: only trusted temperatures steer control or trigger the override. */
  trusted: boolean;
  quality: ReadingQuality;
  targetC: number;
  criticalC: number;
  required: boolean;
}

/** Answers kept per pattern: patterns come from the config and ids from the host's sensors, so both sets are small. */
const matchCache = new Map<string, Map<string, boolean>>();
/** Bounds, should either set ever keep growing (neither should): past them the answers are forgotten and relearned. */
const MATCH_CACHE_PATTERNS = 256;
const MATCH_CACHE_IDS_PER_PATTERN = 4_096;

/**
 * Whole-id glob match: "*" matches any run of characters (including none), everything else is literal. The same
 * ids are matched against the same patterns every period, several times over (limits, zones, roles, fault
 * detectors), so answers are remembered.
 */
export function globMatch(pattern: string, id: string): boolean {
  let answers = matchCache.get(pattern);
  if (!answers) {
    if (matchCache.size >= MATCH_CACHE_PATTERNS) matchCache.clear();
    matchCache.set(pattern, (answers = new Map<string, boolean>()));
  }
  let matched = answers.get(id);
  if (matched === undefined) {
    matched = matchGlob(pattern, id);
    if (answers.size >= MATCH_CACHE_IDS_PER_PATTERN) answers.clear();
    answers.set(id, matched);
  }
  return matched;
}

/** Iterative with single-star backtracking, so it is linear-ish and cannot blow up the way a naive regex can. */
function matchGlob(pattern: string, id: string): boolean {
  let p = 0;
  let s = 0;
  let starP = -1;
  let starS = 0;
  while (s < id.length) {
    if (p < pattern.length && pattern[p] !== "*" && pattern[p] === id[s]) {
      p++;
      s++;
    } else if (p < pattern.length && pattern[p] === "*") {
      starP = p++;
      starS = s;
    } else if (starP >= 0) {
      // Let the last star swallow one more character and retry from there.
      p = starP + 1;
      s = ++starS;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern[p] === "*") p++;
  return p === pattern.length;
}

/** The first limit (in config order) whose glob matches the id, so specific patterns can precede catch-alls. */
export function limitFor(id: string, limits: readonly TemperatureLimit[]): TemperatureLimit | undefined {
  return limits.find((limit) => globMatch(limit.match, id));
}

/** Temperature readings that some limit governs; readings matching no limit are monitored, not controlled. */
export function matchLimits(readings: readonly Reading[], limits: readonly TemperatureLimit[]): ControlledTemp[] {
  const controlled: ControlledTemp[] = [];
  for (const reading of readings) {
    if (reading.kind !== "temperature") continue;
    const limit = limitFor(reading.id, limits);
    if (!limit) continue;
    const tempC = reading.value !== null && Number.isFinite(reading.value) ? reading.value : null;
    controlled.push({
      id: reading.id,
      role: limit.role,
      tempC,
      trusted: reading.quality === "ok" && tempC !== null,
      quality: reading.quality,
      targetC: limit.targetC,
      criticalC: limit.criticalC,
      required: limit.required,
    });
  }
  return controlled;
}

/**
 * Limits that govern none of the given temperature sensor ids: they match none, or every id they match is claimed
 * by an earlier limit (first match wins, so such a limit, and its `required` flag, never applies). At start-up the
 * agent refuses to run when a `required` one is in the list (a required sensor that does not exist can never be
 * trusted) and warns for the rest.
 */
export function unmatchedLimits(sensorIds: readonly string[], limits: readonly TemperatureLimit[]): TemperatureLimit[] {
  const governing = new Set(sensorIds.map((id) => limitFor(id, limits)));
  return limits.filter((limit) => !governing.has(limit));
}

/** The worst margin max(tempC − targetC) over trusted temps in the given roles; undefined when none is trusted. */
export function worstMarginC(temps: readonly ControlledTemp[], roles: ReadonlySet<SensorRole>): number | undefined {
  let worst: number | undefined;
  for (const t of temps) {
    if (!t.trusted || t.tempC === null || !roles.has(t.role)) continue;
    const marginC = t.tempC - t.targetC;
    if (worst === undefined || marginC > worst) worst = marginC;
  }
  return worst;
}
