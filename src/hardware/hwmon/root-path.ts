import { lstatSync, readlinkSync } from "node:fs";
import path from "node:path";

/** The kernel gives up after 40 links; so do we, so a link loop in a fake tree cannot hang discovery. */
const MAX_LINK_HOPS = 40;

/**
 * Resolves a root-relative path ("/sys/class/hwmon/hwmon3") as the kernel would if `root` were "/":
 * absolute symlink targets are taken under root and ".." never climbs above it, so a test tree or a simulator
 * tree can never lead the agent into the host's real /sys. Returns the resolved root-relative path.
 * Components that do not exist are kept as written; the read that follows reports the error.
 */
export function resolveInRoot(root: string, rootRelative: string): string {
  const pending = splitPath(rootRelative);
  const resolved: string[] = [];
  let hops = 0;
  for (let part = pending.shift(); part !== undefined; part = pending.shift()) {
    if (part === ".") continue;
    if (part === "..") {
      resolved.pop();
      continue;
    }
    resolved.push(part);
    const stat = lstatSync(path.join(root, ...resolved), { throwIfNoEntry: false });
    if (!stat?.isSymbolicLink()) continue;
    if (++hops > MAX_LINK_HOPS) throw new Error(`too many symlinks resolving ${rootRelative} under ${root}`);
    const target = readlinkSync(path.join(root, ...resolved));
    resolved.pop();
    if (path.isAbsolute(target)) resolved.length = 0;
    pending.unshift(...splitPath(target));
  }
  return "/" + resolved.join("/");
}

/** The host path of a root-relative path. */
export function hostPath(root: string, rootRelative: string): string {
  return path.join(root, rootRelative);
}

function splitPath(p: string): string[] {
  return p.split("/").filter((part) => part.length > 0);
}
