import { readFileSync } from "node:fs";
import { CoolfleetError, ErrorCode } from "../../core/errors.js";
import orv3Rpu from "./maps/orv3-rpu.json" with { type: "json" };
import simplePumpDrive from "./maps/simple-pump-drive.json" with { type: "json" };
import { parseRegisterMap, type RegisterMap } from "./register-map.js";

/** The maps shipped with coolfleet, by name. Imported as modules so the build carries them into dist. */
const BUILTIN: Readonly<Record<string, unknown>> = {
  "orv3-rpu": orv3Rpu,
  "simple-pump-drive": simplePumpDrive,
};

export const BUILTIN_REGISTER_MAPS: readonly string[] = Object.keys(BUILTIN);

/** Loads a built-in map by name ("orv3-rpu") or a map file by path (anything ending in .json). */
export function loadRegisterMap(nameOrPath: string): RegisterMap {
  const builtin = BUILTIN[nameOrPath];
  if (builtin !== undefined) return parseRegisterMap(`"${nameOrPath}" (built in)`, builtin);
  if (!nameOrPath.endsWith(".json")) {
    throw new CoolfleetError(
      ErrorCode.ConfigInvalid,
      `register map "${nameOrPath}" is neither a built-in map (${BUILTIN_REGISTER_MAPS.join(", ")}) nor a path to a .json file`,
    );
  }
  let text: string;
  try {
    text = readFileSync(nameOrPath, "utf8");
  } catch (err) {
    throw new CoolfleetError(ErrorCode.ConfigUnreadable, `register map ${nameOrPath}: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new CoolfleetError(ErrorCode.ConfigInvalid, `register map ${nameOrPath} is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
  return parseRegisterMap(nameOrPath, raw);
}
