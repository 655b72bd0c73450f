import { SMC_MAX_LINE_BYTES } from "./protocol.js";

/** Splits a byte stream into lines; a line longer than the limit is reported once and skipped. */
export class JsonLineSplitter {
  private partial = "";
  private overflowing = false;

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly onOverflow: () => void,
    private readonly maxBytes = SMC_MAX_LINE_BYTES,
  ) {}

  push(chunk: Buffer | string): void {
    const text = this.partial + chunk.toString();
    const lines = text.split("\n");
    this.partial = lines.pop() ?? "";
    for (const line of lines) {
      if (this.overflowing) {
        // The tail of an over-long line.
        this.overflowing = false;
        continue;
      }
      if (line.trim() !== "") this.onLine(line);
    }
    if (this.partial.length > this.maxBytes) {
      this.partial = "";
      if (!this.overflowing) this.onOverflow();
      this.overflowing = true;
    }
  }
}
