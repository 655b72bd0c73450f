import { spawn } from "node:child_process";
import { performance } from "node:perf_hooks";
import { SystemClock, type Clock } from "../../core/clock.js";
import { parseIpmitoolFailure, type IpmiFailure } from "./ipmitool-failure.js";
import { ipmitoolArgs, ipmitoolEnv, type IpmitoolTarget } from "./ipmitool-target.js";

type Verdict = { ok: true } | { ok: false; failure: IpmiFailure };

/** One run: ok (exit 0) or why not, with the output and the wall time it took. */
export type IpmitoolOutcome = Verdict & { stdout: string; stderr: string; durationMs: number };

/** What the sensor source and the actuator need: run one ipmitool command. Tests pass fakes. */
export interface IpmiCommandRunner {
  run(command: readonly string[]): Promise<IpmitoolOutcome>;
}

export interface IpmitoolRunnerOptions {
  target: IpmitoolTarget;
  /** Hard limit per run: past it the process is killed (SIGKILL) and the run fails with kind "timeout". */
  timeoutMs: number;
  /** Path or name of the binary (default "ipmitool", looked up on PATH). */
  ipmitoolPath?: string;
  /** Times the hard limit; a wall-clock guard on a child process (tests pass a ManualClock). */
  clock?: Clock;
}

/** Output beyond this is cut: a full `sdr elist` of a big server is ~20 kB. */
const MAX_OUTPUT_BYTES = 1 << 20;

/** Runs the real ipmitool binary, one process per command, never longer than the hard timeout. */
export class IpmitoolRunner implements IpmiCommandRunner {
  private readonly clock: Clock;
  private readonly binary: string;

  constructor(private readonly opts: IpmitoolRunnerOptions) {
    this.clock = opts.clock ?? new SystemClock();
    this.binary = opts.ipmitoolPath ?? "ipmitool";
  }

  /** Where the runs go, for logs (never the password). */
  describeTarget(): string {
    const t = this.opts.target;
    return t.interface === "open" ? "in-band (-I open)" : `${t.interface}://${t.username}@${t.host}:${t.port}`;
  }

  run(command: readonly string[]): Promise<IpmitoolOutcome> {
    const startMs = performance.now();
    const args = ipmitoolArgs(this.opts.target, command);
    return new Promise<IpmitoolOutcome>((resolve) => {
      const stdout: Buffer[] = [];
      const stderr: Buffer[] = [];
      let outputBytes = 0;
      let timedOut = false;
      let settled = false;
      const finish = (verdict: Verdict): void => {
        if (settled) return;
        settled = true;
        this.clock.clearTimeout(timer);
        const text = { stdout: Buffer.concat(stdout).toString("utf8"), stderr: Buffer.concat(stderr).toString("utf8") };
        resolve({ ...verdict, ...text, durationMs: performance.now() - startMs });
      };
      const child = spawn(this.binary, args, { env: ipmitoolEnv(this.opts.target), stdio: ["ignore", "pipe", "pipe"] });
      const collect = (into: Buffer[]) => (chunk: Buffer) => {
        outputBytes += chunk.length;
        if (outputBytes <= MAX_OUTPUT_BYTES) into.push(chunk);
      };
      child.stdout.on("data", collect(stdout));
      child.stderr.on("data", collect(stderr));
      const timer = this.clock.setTimeout(() => {
        timedOut = true;
        child.kill("SIGKILL");
      }, this.opts.timeoutMs);
      child.on("error", (err: NodeJS.ErrnoException) => {
        const kind = err.code === "ENOENT" || err.code === "EACCES" ? "not-installed" : "failed";
        finish({ ok: false, failure: kind === "failed" ? { kind, exitCode: null, message: err.message } : { kind, message: `${this.binary}: ${err.message}` } });
      });
      child.on("close", (code) => {
        if (timedOut) {
          finish({ ok: false, failure: { kind: "timeout", message: `ipmitool ${command.join(" ")} killed after ${this.opts.timeoutMs} ms (${this.describeTarget()})` } });
        } else if (code === 0) {
          finish({ ok: true });
        } else {
          finish({ ok: false, failure: parseIpmitoolFailure(Buffer.concat(stderr).toString("utf8"), code) });
        }
      });
    });
  }
}

/** Runs a command through any runner, turning a rejection (a faulty fake, a spawn bug) into a failed outcome. */
export async function runSafely(runner: IpmiCommandRunner, command: readonly string[]): Promise<IpmitoolOutcome> {
  try {
    return await runner.run(command);
  } catch (err) {
    return { ok: false, failure: { kind: "failed", exitCode: null, message: err instanceof Error ? err.message : String(err) }, stdout: "", stderr: "", durationMs: 0 };
  }
}
