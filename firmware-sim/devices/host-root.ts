import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CoolfleetError, ErrorCode } from "../../src/core/errors.js";

/** Marks a directory as a simulator tree, so a rerun may clear it and nothing else is ever deleted. */
export const SIM_ROOT_MARKER = ".coolfleet-sim";
/** Temp files for atomic replacement live here: same filesystem, outside every directory a reader lists. */
export const SIM_TMP_DIR = ".sim-tmp";

/** Empties (or creates) a host's tree directory; refuses a directory holding sys/ or proc/ the simulator did not make. */
export function prepareHostRoot(hostRoot: string): void {
  const owned = existsSync(join(hostRoot, SIM_ROOT_MARKER));
  if (!owned && (existsSync(join(hostRoot, "sys")) || existsSync(join(hostRoot, "proc")))) {
    throw new CoolfleetError(
      ErrorCode.UsageInvalid,
      `${hostRoot} already holds sys/ or proc/ not made by the simulator; choose an empty --root directory`,
    );
  }
  for (const dir of ["sys", "proc", SIM_TMP_DIR]) rmSync(join(hostRoot, dir), { recursive: true, force: true });
  mkdirSync(hostRoot, { recursive: true });
  writeFileSync(join(hostRoot, SIM_ROOT_MARKER), "coolfleet simulated host tree\n");
}
