import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { CoolfleetError, ErrorCode } from "../../src/core/errors.js";
import { HostProfileSchema, profileProblems, type HostProfile } from "./schema.js";

export type {
  CpuParams,
  DriveParams,
  FanParams,
  HeatsinkParams,
  HostProfile,
  LiquidParams,
  PlatformParams,
  SensorParams,
  SocketThermalParams,
} from "./schema.js";
export { HostProfileSchema } from "./schema.js";

const PROFILE_ID = /^[a-z0-9][a-z0-9-]*$/;

/**
 * The JSON lives beside the TypeScript source. tsc does not copy it, so from dist/firmware-sim/profiles the
 * module looks three levels up for the package's firmware-sim/profiles (which package.json ships).
 */
function profileDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const candidates = [here, join(here, "..", "..", "..", "firmware-sim", "profiles")];
  const found = candidates.find((dir) => existsSync(join(dir, "poweredge-r740-air.json")));
  if (!found) throw new CoolfleetError(ErrorCode.SimProfileInvalid, `host profiles not found; looked in ${candidates.join(" and ")}`);
  return found;
}

function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === "number" ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), "");
}

function invalid(id: string, message: string, cause?: unknown): CoolfleetError {
  return new CoolfleetError(ErrorCode.SimProfileInvalid, `host profile "${id}": ${message}`, cause === undefined ? undefined : { cause });
}

/** Validates raw profile data (already parsed JSON); throws SimProfileInvalid naming the profile and the key. */
export function parseProfile(id: string, raw: unknown): HostProfile {
  const result = HostProfileSchema.safeParse(raw);
  if (!result.success) {
    const details = result.error.issues.map((issue) => `${formatPath(issue.path) || "(top level)"}: ${issue.message}`);
    throw invalid(id, details.join("; "));
  }
  const profile = result.data;
  if (profile.id !== id) throw invalid(id, `id: the file says "${profile.id}"; the id must match the file name`);
  const problems = profileProblems(profile);
  if (problems.length > 0) throw invalid(id, problems.map(([key, message]) => `${key}: ${message}`).join("; "));
  return profile;
}

const cache = new Map<string, HostProfile>();

/** Loads and validates a profile by id. Returns a fresh copy: callers may not mutate the cached one. */
export function loadProfile(id: string): HostProfile {
  let profile = cache.get(id);
  if (!profile) {
    if (!PROFILE_ID.test(id)) throw invalid(id, `not a profile id; known profiles: ${listProfiles().join(", ")}`);
    const file = join(profileDir(), `${id}.json`);
    if (!existsSync(file)) throw invalid(id, `no such profile (${file}); known profiles: ${listProfiles().join(", ")}`);
    let raw: unknown;
    try {
      raw = JSON.parse(readFileSync(file, "utf8"));
    } catch (err) {
      throw invalid(id, `${file} is not readable JSON: ${err instanceof Error ? err.message : String(err)}`, err);
    }
    profile = parseProfile(id, raw);
    cache.set(id, profile);
  }
  return structuredClone(profile);
}

/** Ids of every shipped profile, sorted. */
export function listProfiles(): string[] {
  return readdirSync(profileDir())
    .filter((name) => name.endsWith(".json"))
    .map((name) => name.slice(0, -".json".length))
    .sort();
}
