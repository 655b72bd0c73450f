import type { SysfsFiles } from "./sysfs-files.js";

/** What the last poll of a writable attribute found. */
export type PollResult = "unchanged" | "accepted" | "rejected";

// kstrtoul with base 10, as sysfs store handlers parse: optional '+', digits, one optional trailing newline.
const KERNEL_UINT = /^\+?[0-9]+\n?$/;

/**
 * One writable sysfs attribute (pwm1, pwm1_enable, fan1_output …) seen from the driver's side: the agent writes
 * the file, the driver polls it once per step, keeps valid values and rejects the rest as the kernel's store
 * handler would (EINVAL: the register keeps its value, and a read shows it again).
 */
export class RegisterFile {
  private registerValue: number;
  private lastSeen: string;
  private emptyPolls = 0;

  constructor(
    readonly path: string,
    initialValue: number,
    private readonly isValid: (value: number) => boolean,
    private readonly files: SysfsFiles,
  ) {
    this.registerValue = initialValue;
    this.lastSeen = canonical(initialValue);
    files.createActuator(path, this.lastSeen);
  }

  get value(): number {
    return this.registerValue;
  }

  poll(): PollResult {
    const content = this.files.readActuator(this.path);
    if (content === undefined) {
      // sysfs attributes cannot be deleted; put it back as the driver still has it.
      this.lastSeen = canonical(this.registerValue);
      this.files.createActuator(this.path, this.lastSeen);
      return "unchanged";
    }
    if (content === this.lastSeen) return "unchanged";
    // An agent's writeFile truncates before it writes: one empty read may be a write in flight, two are a write of "".
    if (content.length === 0 && this.emptyPolls++ === 0) return "unchanged";
    this.emptyPolls = 0;
    const value = KERNEL_UINT.test(content) ? Number.parseInt(content, 10) : NaN;
    if (Number.isSafeInteger(value) && this.isValid(value)) {
      this.registerValue = value;
      this.lastSeen = content;
      return "accepted";
    }
    const restored = canonical(this.registerValue);
    this.lastSeen = this.files.rewriteActuator(this.path, restored, content) ? restored : content;
    return "rejected";
  }

  /** The driver (or firmware) changes the register; the file shows it unless an agent wrote since the last poll. */
  set(value: number): void {
    const shown = canonical(value);
    if (value === this.registerValue && shown === this.lastSeen) return;
    if (this.files.rewriteActuator(this.path, shown, this.lastSeen)) {
      this.registerValue = value;
      this.lastSeen = shown;
    }
  }
}

function canonical(value: number): string {
  return `${value}\n`;
}
