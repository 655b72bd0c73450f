import path from "node:path";

/**
 * Chips that come one per package, drive or controller. They always carry an instance suffix, even when only
 * one is present, so that adding a drive or a socket never renames the sensors that were already there.
 */
export const PER_INSTANCE_CHIPS: ReadonlySet<string> = new Set(["coretemp", "drivetemp", "nvme"]);

/** A platform device instance: "coretemp.0", "nct6775.656", "applesmc.768". */
const PLATFORM_INSTANCE = /^[A-Za-z][\w-]*\.(\d+)$/;
/** A kernel-numbered device: "nvme0", "thermal_zone3". */
const NUMBERED_DEVICE = /^[A-Za-z_]+(\d+)$/;

/**
 * The instance part of a chip tag, from the device path (never the hwmon index, which changes across boots):
 *   platform device "<driver>.<n>"    → "<n>"          (coretemp.1 → "1")
 *   kernel-numbered device "<word><n>" → "<n>"          (nvme0 → "0")
 *   anything else                     → the basename   (SCSI "0:0:0:0", PCI "0000:00:18.3", USB "1-4:1.0")
 */
export function instanceSuffix(devicePath: string): string {
  const base = path.posix.basename(devicePath);
  return PLATFORM_INSTANCE.exec(base)?.[1] ?? NUMBERED_DEVICE.exec(base)?.[1] ?? base;
}

export interface TaggableChip {
  readonly name: string;
  readonly devicePath: string;
}

/**
 * Gives every chip a stable tag, the prefix of its sensor ids:
 * - the bare name when the chip is alone of its name and not per-instance ("nct6798", "power_meter");
 * - "<name>.<instance>" for per-instance chips and when names collide ("coretemp.0", "drivetemp.0:0:0:0");
 * - last resort, when two chips still share a tag (devices without a distinguishing path): "~2", "~3"
 *   appended in device-path order.
 * `sticky` (name + device path → tag) keeps a chip's tag for the life of the process, so a chip that appears
 * later cannot rename the sensors already announced. It is updated in place.
 */
export function assignChipTags(chips: readonly TaggableChip[], sticky: Map<string, string>): string[] {
  const countByName = new Map<string, number>();
  for (const chip of chips) countByName.set(chip.name, (countByName.get(chip.name) ?? 0) + 1);

  const order = chips.map((_, i) => i).sort((a, b) => compareChips(chips[a]!, chips[b]!));
  const tags = new Array<string>(chips.length);
  const used = new Set<string>();
  // Chips already known keep their tag; reserve those first so a newcomer cannot take one.
  for (const i of order) {
    const known = sticky.get(stickyKey(chips[i]!));
    if (known !== undefined && !used.has(known)) {
      tags[i] = known;
      used.add(known);
    }
  }
  for (const i of order) {
    if (tags[i] !== undefined) continue;
    const chip = chips[i]!;
    const wantsInstance = PER_INSTANCE_CHIPS.has(chip.name) || (countByName.get(chip.name) ?? 0) > 1;
    const base = wantsInstance ? `${chip.name}.${instanceSuffix(chip.devicePath)}` : chip.name;
    let tag = base;
    for (let n = 2; used.has(tag); n++) tag = `${base}~${n}`;
    tags[i] = tag;
    used.add(tag);
    sticky.set(stickyKey(chip), tag);
  }
  return tags;
}

function stickyKey(chip: TaggableChip): string {
  return `${chip.name}\u0000${chip.devicePath}`;
}

function compareChips(a: TaggableChip, b: TaggableChip): number {
  return a.name === b.name ? compareText(a.devicePath, b.devicePath) : compareText(a.name, b.name);
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
