import { execFile } from "node:child_process";
import type { Logger } from "../../core/logger.js";

export interface LastResortSettings {
  command: readonly string[];
  timeoutS: number;
}

/** Output kept in the log per stream; a shutdown command says little, a script may say a lot. */
const OUTPUT_LOG_CHARS = 2000;

/**
 * Runs the configured last-resort command, at most once per agent run: execFile (no shell), with a timeout, its
 * exit status and output logged. The caller decides when; this only guarantees "once" and reports the outcome.
 */
export class LastResortAction {
  private started = false;
  private running: Promise<void> | undefined;

  constructor(
    private readonly settings: LastResortSettings,
    private readonly logger: Logger,
  ) {}

  get hasRun(): boolean {
    return this.started;
  }

  /** Starts the command unless it already ran; returns at once. */
  trigger(reason: Record<string, unknown>): void {
    if (this.started) return;
    this.started = true;
    const [file, ...args] = this.settings.command;
    if (file === undefined) return;
    this.logger.fatal({ command: this.settings.command, ...reason }, "running the last-resort command");
    this.running = new Promise<void>((resolve) => {
      execFile(file, args, { timeout: this.settings.timeoutS * 1000, killSignal: "SIGKILL", windowsHide: true }, (err, stdout, stderr) => {
        const output = { stdout: String(stdout).slice(0, OUTPUT_LOG_CHARS), stderr: String(stderr).slice(0, OUTPUT_LOG_CHARS) };
        if (err) this.logger.error({ command: this.settings.command, err: err.message, code: err.code, signal: err.signal, ...output }, "last-resort command failed");
        else this.logger.warn({ command: this.settings.command, ...output }, "last-resort command finished");
        resolve();
      });
    });
  }

  /** Resolves when a started command has exited (or was killed); at once if none was started. */
  async settled(): Promise<void> {
    await this.running;
  }
}
