import { existsSync, lstatSync, readdirSync, readlinkSync } from "node:fs";
import path from "node:path";
import { assignChipTags } from "./chip-tag.js";
import { listChannels, type HwmonChannel } from "./channels.js";
import { hostPath, resolveInRoot } from "./root-path.js";
import { readSysfsText } from "./sysfs-io.js";

const CLASS_DIR = "/sys/class/hwmon";
const CLASS_ENTRY = /^hwmon\d+$/;

/** One hwmon chip as found under the root. Paths named *Path are root-relative; attrDir is the host path. */
export interface HwmonChip {
  /** Driver-given chip name, the content of `name`: "coretemp", "nct6798", "drivetemp". */
  readonly name: string;
  /** Stable prefix of the chip's sensor ids: "coretemp.0", "nct6798", "drivetemp.0:0:0:0" (see chip-tag.ts). */
  readonly tag: string;
  /** The device the chip belongs to, e.g. "/sys/devices/platform/coretemp.0": with name, its identity across boots. */
  readonly devicePath: string;
  /** Where the attribute files are: the hwmon dir, or the device dir for old drivers such as applesmc. */
  readonly attrPath: string;
  readonly attrDir: string;
  /** "hwmon3": for logs only, the number changes across boots. */
  readonly classEntry: string;
  /** Attribute file names present at discovery. */
  readonly files: ReadonlySet<string>;
  readonly channels: readonly HwmonChannel[];
}

/**
 * Finds hwmon chips under a filesystem root ("/" in production, a simulated or test tree otherwise) and names
 * them by name + device path, never by hwmon index. Keep one instance per root: it remembers the tags it gave,
 * so rediscovery never renames a chip.
 */
export class HwmonDiscovery {
  private readonly stickyTags = new Map<string, string>();
  private lastFingerprint: string | undefined;
  /** Why entries were skipped in the last discover(), for logs. */
  problems: string[] = [];

  constructor(readonly root: string) {}

  /**
   * Whether the hwmon entries or their link targets changed since the last discover(): one readdir and one
   * readlink per chip, about a tenth of a full discovery, so it can run inside a sweep's budget.
   */
  changedSinceDiscover(): boolean {
    return this.fingerprint() !== this.lastFingerprint;
  }

  discover(): HwmonChip[] {
    this.problems = [];
    this.lastFingerprint = this.fingerprint();
    let entries: string[];
    try {
      entries = readdirSync(hostPath(this.root, CLASS_DIR)).filter((e) => CLASS_ENTRY.test(e));
    } catch (err) {
      this.problems.push(`cannot list ${hostPath(this.root, CLASS_DIR)}: ${String(err)}`);
      return [];
    }
    const found: Omit<HwmonChip, "tag">[] = [];
    for (const entry of entries) {
      try {
        const chip = this.probe(entry);
        if (chip) found.push(chip);
      } catch (err) {
        this.problems.push(`${CLASS_DIR}/${entry}: ${String(err)}`);
      }
    }
    const tags = assignChipTags(found, this.stickyTags);
    return found.map((chip, i) => ({ ...chip, tag: tags[i]! })).sort((a, b) => (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0));
  }

  private fingerprint(): string {
    const classDir = hostPath(this.root, CLASS_DIR);
    try {
      return readdirSync(classDir)
        .filter((e) => CLASS_ENTRY.test(e))
        .sort()
        .map((e) => `${e}>${linkTarget(path.join(classDir, e))}`)
        .join("|");
    } catch {
      return "";
    }
  }

  private probe(entry: string): Omit<HwmonChip, "tag"> | undefined {
    const hwmonPath = resolveInRoot(this.root, `${CLASS_DIR}/${entry}`);
    const devicePath = this.devicePathOf(hwmonPath);
    // Old-style drivers (applesmc, older ACPI power_meter) put name and attributes on the device, not the hwmon dir.
    const attrPath = [hwmonPath, devicePath].find((p) => existsSync(hostPath(this.root, `${p}/name`)));
    if (attrPath === undefined) {
      this.problems.push(`${CLASS_DIR}/${entry}: no name file in ${hwmonPath} or ${devicePath}`);
      return undefined;
    }
    const attrDir = hostPath(this.root, attrPath);
    const name = readSysfsText(path.join(attrDir, "name"));
    if (!name) {
      this.problems.push(`${CLASS_DIR}/${entry}: empty or unreadable name in ${attrPath}`);
      return undefined;
    }
    const files = new Set(readdirSync(attrDir));
    return { name, devicePath, attrPath, attrDir, classEntry: entry, files, channels: listChannels(attrDir, files) };
  }

  /** The `device` link when there is one; else the dir holding the hwmon dir (skipping the "hwmon" level). */
  private devicePathOf(hwmonPath: string): string {
    const link = `${hwmonPath}/device`;
    if (lstatSync(hostPath(this.root, link), { throwIfNoEntry: false })) return resolveInRoot(this.root, link);
    const parent = path.posix.dirname(hwmonPath);
    return path.posix.basename(parent) === "hwmon" ? path.posix.dirname(parent) : parent;
  }
}

function linkTarget(file: string): string {
  try {
    return readlinkSync(file);
  } catch {
    return "";
  }
}

/** Chips with this name whose device path contains `deviceSubstring` (when given). */
export function matchChips(chips: readonly HwmonChip[], name: string, deviceSubstring?: string): HwmonChip[] {
  return chips.filter((c) => c.name === name && (deviceSubstring === undefined || c.devicePath.includes(deviceSubstring)));
}

/** "coretemp at /sys/devices/platform/coretemp.0, …" for error messages and logs. */
export function describeChips(chips: readonly HwmonChip[]): string {
  if (chips.length === 0) return "none";
  return chips.map((c) => `${c.name} at ${c.devicePath}`).join(", ");
}
