import { readFileSync } from "node:fs";
import { CoolfleetError, ErrorCode } from "../core/errors.js";

/** Reads a secret (a broker password) from the file a config names; `key` says where in the config it came from. */
export function readSecretFile(key: string, file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  try {
    return readFileSync(file, "utf8").trimEnd();
  } catch (err) {
    throw new CoolfleetError(ErrorCode.ConfigUnreadable, `${key}: cannot read ${file}: ${(err as Error).message}`, { cause: err });
  }
}
