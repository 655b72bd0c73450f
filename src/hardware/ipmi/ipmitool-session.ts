import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { randomBytes } from "node:crypto";
import { performance } from "node:perf_hooks";
import { SystemClock, type Clock, type TimerHandle } from "../../core/clock.js";
import { firstLine, parseIpmitoolFailure, type IpmiFailure } from "./ipmitool-failure.js";
import type { Logger } from "../../core/logger.js";
import { IpmitoolRunner, type IpmiCommandRunner, type IpmitoolOutcome, type IpmitoolRunnerOptions } from "./ipmitool-runner.js";
import { SDR_REPOSITORY_INFO_COMMAND, type SdrCache } from "./sdr-cache.js";
import { ipmitoolArgs, ipmitoolEnv } from "./ipmitool-target.js";
import { sessionLines, takeAnswer, withoutPrompts } from "./session-stream.js";

export interface IpmitoolSessionOptions extends IpmitoolRunnerOptions {
  /** A session this old is closed before the next command and a new one opened (default 60 s): new sensors show up. */
  maxAgeMs?: number;
  /** A session idle this long is closed (default 20 s), well inside a BMC's session inactivity time-out (60 s). */
  idleCloseMs?: number;
  /** The POSIX shell that starts the pipeline (default /bin/sh). */
  shellPath?: string;
  /** Told once when this ipmitool's exec refuses a pipe (shell sessions then), or it has no shell either (one-shot). */
  logger?: Logger;
  /**
   * Sessions read the BMC's SDR from this cache (`-S`) instead of walking the repository as they open; each checks
   * the repository's stamp when it starts (the sensor loop's sessions: the fan commands read no SDR).
   */
  sdrCache?: SdrCache;
}

export const IPMITOOL_SESSION_DEFAULTS = { maxAgeMs: 60_000, idleCloseMs: 20_000 } as const;

/** Output held for one command beyond this ends the session: no listing is anywhere near it. */
const MAX_BUFFERED_BYTES = 1 << 20;
/** How long a closing session may take to exit on its own before its processes are killed. */
const EXIT_GRACE_MS = 2_000;

/**
 * `cat` turns the agent's end of the stdin socket into a pipe ipmitool can open as /dev/stdin; when the agent goes,
 * cat ends, ipmitool reads end-of-file and exits, and so does the shell: no session outlives its agent. `stdbuf -oL`
 * makes ipmitool flush stdout at each line, so a command's answer arrives without waiting for the next one. Only
 * ipmitool holds the output pipes (cat's stderr and the waiting shell's go to /dev/null): they close, and the agent
 * hears of it, the moment ipmitool exits.
 */
const EXEC_PIPELINE = [
  "exec 3<&0 4>&1 5>&2 1>/dev/null 2>/dev/null",
  'cat <&3 3<&- 4>&- 5>&- | stdbuf -oL "$@" 1>&4 2>&5 3<&- 4>&- 5>&- &',
  "exec 3<&- 4>&- 5>&-",
  "wait",
].join("\n");

/**
 * For ipmitool builds whose `exec` refuses a pipe: `ipmitool shell` reads through readline, which echoes each line
 * after a prompt and flushes at every prompt. At end of input the shell does not exit but loops, sending to the
 * BMC, so a second after cat's input ends the whole group is killed. `exit`, sent before the end of input, makes
 * the shell close its BMC session and leave within that second.
 */
const SHELL_PIPELINE = [
  "exec 3<&0 4>&1 5>&2 1>/dev/null 2>/dev/null",
  // A subshell that rearranges its own descriptors with exec: redirections on a { } group would make the shell
  // keep copies of the output pipes for the group's lifetime, and the agent would not hear ipmitool exit.
  '(exec <&3 3<&- 4>&- 5>&-; cat; sleep 1; kill -KILL 0) | "$@" 1>&4 2>&5 3<&- 4>&- 5>&- &',
  "exec 3<&- 4>&- 5>&-",
  "wait",
].join("\n");

/** How a session feeds ipmitool: `exec /dev/stdin` (no echo; exits at end of input) or `shell` (readline). */
type SessionMode = "exec" | "shell";

/**
 * ipmitool refused to read commands from /dev/stdin. Builds configured with --enable-file-security (Fedora's and
 * RHEL's packages) accept only a regular file there ("File /dev/stdin has invalid mode"), never a pipe.
 */
const NO_EXEC_INPUT = /\/dev\/stdin/;
/** A build without readline has no shell. */
const NO_SHELL = /shell is disabled|Invalid command: shell/;

/**
 * The first command of every session, before the caller's: Get Device ID, which any BMC answers to any user with a
 * line of bytes. ipmitool opens its BMC session with the first command that needs one, and what it says while
 * doing so ("Warning: Console session ID is not what we requested", from some BMCs) lands in that command's
 * stderr; a fan command, whose success prints nothing, would be judged failed by it in every new session.
 */
const SESSION_START_COMMAND = ["raw", "0x06", "0x01"] as const;

/** stdbuf or the shell could not start ipmitool (or stdbuf itself is missing). */
const NOT_RUNNABLE = /stdbuf: failed to run command|stdbuf: not found/;

type Answer = { ok: true; stdout: string; stderr: string } | { ok: false; failure: IpmiFailure; stdout: string; stderr: string };

interface LiveSession {
  child: ChildProcessWithoutNullStreams;
  mode: SessionMode;
  openedAtMs: number;
  stdout: string;
  stderr: string;
  /** ipmitool is gone (its output pipes closed). */
  exited: boolean;
  inputEnded: boolean;
  /** The session-start command has been answered: what ipmitool prints now belongs to the commands. */
  started: boolean;
  /** The SDR cache stamp the session was opened on (-S), undefined for none. */
  sdrStamp: string | undefined;
  /** Opened on a cache checked just before: no need to ask the repository again. */
  sdrChecked: boolean;
  /** The command waiting for its markers. */
  pending?: { mark: string; settle: (answer: Answer) => void };
}

/**
 * Runs ipmitool commands through one long-lived ipmitool process (`ipmitool … exec /dev/stdin`) instead of one
 * process per command. Over the LAN the RMCP+ session is opened once, not for every listing, and ipmitool keeps the
 * SDR repository it read, so a sensor round asks the BMC only for the readings; in-band it spares a process start
 * per listing. Commands run one at a time, each under the same hard time-out as a one-shot run. A failed or
 * timed-out command ends the session (the next command opens a fresh one), as do age and idleness. An ipmitool
 * whose exec refuses a pipe gets `ipmitool shell` sessions instead; one with no shell either, one-shot runs.
 */
export class IpmitoolSession implements IpmiCommandRunner {
  private readonly clock: Clock;
  private readonly binary: string;
  private readonly maxAgeMs: number;
  private readonly idleCloseMs: number;
  private readonly nonce = randomBytes(4).toString("hex");
  private seq = 0;
  private live: LiveSession | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private idleTimer: TimerHandle | undefined;
  private closed = false;
  private sessionsOpened = 0;
  /** Some command has come back with both markers. */
  private answered = false;
  /** `exec` until this ipmitool refuses to read commands from a pipe, then `shell`. */
  private mode: SessionMode = "exec";
  /** Set once this ipmitool can run no session at all: every command is a one-shot run from then on. */
  private oneShot: IpmitoolRunner | undefined;
  private readonly exits = new Set<Promise<void>>();
  /** What ipmitool said while starting a session, last told to the log (it is told again only when it changes). */
  private startNoteLogged = "";

  constructor(private readonly opts: IpmitoolSessionOptions) {
    this.clock = opts.clock ?? new SystemClock();
    this.binary = opts.ipmitoolPath ?? "ipmitool";
    this.maxAgeMs = opts.maxAgeMs ?? IPMITOOL_SESSION_DEFAULTS.maxAgeMs;
    this.idleCloseMs = opts.idleCloseMs ?? IPMITOOL_SESSION_DEFAULTS.idleCloseMs;
  }

  /** ipmitool processes started so far (one per session). */
  get opened(): number {
    return this.sessionsOpened;
  }

  /** How commands go now: through an `exec` session, a `shell` session, or one ipmitool run each. */
  get feeding(): SessionMode | "one-shot" {
    return this.oneShot ? "one-shot" : this.mode;
  }

  run(command: readonly string[]): Promise<IpmitoolOutcome> {
    const next = this.queue.then(() => this.runNow(command));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /**
   * Ends the session and waits (at most a couple of seconds) for its processes to exit. A command in flight is not
   * waited for: its session is killed and it fails, as do later runs, so stopping never waits out a hung BMC.
   */
  async close(): Promise<void> {
    this.closed = true;
    const live = this.live;
    if (live?.pending) this.kill(live);
    else this.retire();
    await Promise.all([...this.exits]);
  }

  private async runNow(command: readonly string[]): Promise<IpmitoolOutcome> {
    const startMs = performance.now();
    const done = (answer: Answer): IpmitoolOutcome => ({ ...answer, durationMs: performance.now() - startMs });
    if (this.closed) return done({ ok: false, failure: { kind: "failed", exitCode: null, message: "ipmitool session closed" }, stdout: "", stderr: "" });
    if (this.oneShot) return this.oneShot.run(command);
    const mark = this.nextMark();
    const lines = sessionLines(command, mark);
    if (!lines.ok) return done({ ok: false, failure: { kind: "failed", exitCode: null, message: lines.reason }, stdout: "", stderr: "" });

    if (this.idleTimer) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.live && this.clock.nowMs() - this.live.openedAtMs >= this.maxAgeMs) this.retire();
    const opened = this.live ?? this.open();
    const started = opened.started ? undefined : await this.start(opened);
    // Starting may have reopened the session on a fresh SDR cache.
    const live = this.live ?? opened;
    const answer = started ?? (await this.ask(live, lines.text, mark, command));
    if (!answer.ok && !this.answered && this.mode === "exec" && NO_EXEC_INPUT.test(answer.stderr)) {
      // This build's exec will not read a pipe: its readline shell will.
      this.mode = "shell";
      this.opts.logger?.info({ ipmitool: this.binary, said: firstLine(answer.stderr) }, "ipmitool exec will not read a pipe (built with --enable-file-security?); using ipmitool shell");
      return this.runNow(command);
    }
    if (!answer.ok && !this.answered && this.mode === "shell" && NO_SHELL.test(answer.stderr)) {
      // Neither: run this command and every later one as one-shot runs.
      this.oneShot = new IpmitoolRunner(this.opts);
      this.opts.logger?.warn({ ipmitool: this.binary, said: firstLine(answer.stderr) }, "ipmitool can run no session here (exec will not read a pipe, no shell); running one ipmitool per command");
      return this.oneShot.run(command);
    }
    if (!answer.ok) this.retire();
    else this.idleTimer = this.clock.setTimeout(() => this.retire(), this.idleCloseMs);
    return done(answer);
  }

  private nextMark(): string {
    return `cf${this.nonce}x${++this.seq}`;
  }

  /**
   * Runs the session-start command, so that what ipmitool says while it opens the BMC session is not taken for the
   * caller's command's answer. Undefined once the session is ready; else the failure, which is the command's answer
   * too (it has not been sent), its message saying so. A completion code on Get Device ID is reported as a plain
   * failure: it must not pass for the BMC refusing the caller's command.
   */
  private async start(live: LiveSession): Promise<Answer | undefined> {
    const mark = this.nextMark();
    const lines = sessionLines(SESSION_START_COMMAND, mark);
    if (!lines.ok) throw new Error(lines.reason);
    const answer = await this.ask(live, lines.text, mark, SESSION_START_COMMAND);
    if (!answer.ok) {
      const { failure } = answer;
      const message = `session start (Get Device ID): ${failure.message}`;
      return { ...answer, failure: failure.kind === "completion-code" ? { kind: "failed", exitCode: null, message } : { ...failure, message } };
    }
    live.started = true;
    const said = answer.stderr.trim();
    if (said !== "" && said !== this.startNoteLogged) {
      this.startNoteLogged = said;
      this.opts.logger?.info({ ipmitool: this.binary, said: firstLine(said) }, "ipmitool says this when it opens a BMC session; not held against any command");
    }
    return this.checkSdrCache(live);
  }

  /**
   * With an SDR cache: asks the repository's stamp in the new session and lets the cache refresh itself. A session
   * whose records are not the current cache's is replaced by one opened on it (started here, once). A time-out or a
   * session that died is the start's failure; a refusal only means this BMC's repository cannot be cached.
   */
  private async checkSdrCache(live: LiveSession): Promise<Answer | undefined> {
    const cache = this.opts.sdrCache;
    if (!cache || live.sdrChecked) return undefined;
    const mark = this.nextMark();
    const lines = sessionLines(SDR_REPOSITORY_INFO_COMMAND, mark);
    if (!lines.ok) throw new Error(lines.reason);
    const info = await this.ask(live, lines.text, mark, SDR_REPOSITORY_INFO_COMMAND);
    if (!info.ok && (info.failure.kind === "timeout" || live.exited)) {
      return { ...info, failure: { ...info.failure, message: `session start (Get SDR Repository Info): ${info.failure.message}` } };
    }
    const verdict = await cache.check(info.ok ? info.stdout : undefined, live.sdrStamp);
    // Closed, or gone, while the repository was being dumped: the caller's command is not sent.
    if (this.closed || live.exited) {
      const message = this.closed ? "ipmitool session closed" : "session start: the ipmitool session ended while the SDR repository was being cached";
      return { ok: false, failure: { kind: "failed", exitCode: null, message }, stdout: "", stderr: "" };
    }
    if (verdict === "keep") return undefined;
    this.retire();
    const next = this.open(true);
    return this.start(next);
  }

  private ask(live: LiveSession, text: string, mark: string, command: readonly string[]): Promise<Answer> {
    return new Promise<Answer>((resolve) => {
      const timer = this.clock.setTimeout(() => {
        this.kill(live);
        // A session that has never answered may be an ipmitool without exec/echo: say how to do without one.
        const hint = this.answered ? "" : "; no session has answered yet: if this ipmitool cannot run one, set ipmi.session: per-command";
        settle({ ok: false, failure: { kind: "timeout", message: `ipmitool ${command.join(" ")} killed after ${this.opts.timeoutMs} ms (session${hint})` }, stdout: live.stdout, stderr: live.stderr });
      }, this.opts.timeoutMs);
      const settle = (answer: Answer): void => {
        if (live.pending?.mark !== mark) return;
        live.pending = undefined;
        this.clock.clearTimeout(timer);
        resolve(answer);
      };
      live.pending = { mark, settle };
      live.child.stdin.write(text);
    });
  }

  private open(sdrChecked = false): LiveSession {
    const shell = this.mode === "shell";
    const sdr = this.opts.sdrCache?.sessionOptions() ?? { args: [], stamp: undefined };
    const args = shell
      ? ["-c", SHELL_PIPELINE, "sh", this.binary, ...ipmitoolArgs(this.opts.target, [...sdr.args, "shell"])]
      : ["-c", EXEC_PIPELINE, "sh", this.binary, ...ipmitoolArgs(this.opts.target, [...sdr.args, "exec", "/dev/stdin"])];
    // Its own process group, so a time-out kills cat and ipmitool together.
    const child = spawn(this.opts.shellPath ?? "/bin/sh", args, { env: ipmitoolEnv(this.opts.target), stdio: ["pipe", "pipe", "pipe"], detached: true });
    const live: LiveSession = { child, mode: this.mode, openedAtMs: this.clock.nowMs(), stdout: "", stderr: "", exited: false, inputEnded: false, started: false, sdrStamp: sdr.stamp, sdrChecked };
    this.sessionsOpened++;
    this.live = live;
    // The session is over when ipmitool's output pipes close (the shell and cat may linger a moment).
    let openStreams = 2;
    const streamClosed = (): void => {
      if (--openStreams === 0) this.onExit(live);
    };
    child.stdout.on("close", streamClosed);
    child.stderr.on("close", streamClosed);
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      live.stdout += chunk;
      this.check(live);
    });
    child.stderr.on("data", (chunk: string) => {
      live.stderr += chunk;
      this.check(live);
    });
    // Writing to a session that just died: its close event reports why.
    child.stdin.on("error", () => undefined);
    const exited = new Promise<void>((resolve) => {
      child.on("error", (err: NodeJS.ErrnoException) => {
        live.exited = true;
        live.pending?.settle({ ok: false, failure: { kind: "not-installed", message: `${this.opts.shellPath ?? "/bin/sh"}: ${err.message}` }, stdout: "", stderr: "" });
        resolve();
      });
      child.on("close", () => {
        this.onExit(live);
        resolve();
      });
    });
    this.exits.add(exited);
    void exited.then(() => this.exits.delete(exited));
    return live;
  }

  private check(live: LiveSession): void {
    const pending = live.pending;
    if (!pending) return;
    const answer = takeAnswer(live.stdout, live.stderr, pending.mark);
    if (answer) {
      this.answered = true;
      live.stdout = answer.restStdout;
      live.stderr = answer.restStderr;
      const stdout = live.mode === "shell" ? withoutPrompts(answer.stdout) : answer.stdout;
      const failed = answer.stderr.trim() !== "" && stdout.trim() === "";
      pending.settle(failed ? { ok: false, failure: parseIpmitoolFailure(answer.stderr, null), stdout, stderr: answer.stderr } : { ok: true, stdout, stderr: answer.stderr });
    } else if (live.stdout.length + live.stderr.length > MAX_BUFFERED_BYTES) {
      this.kill(live);
      pending.settle({ ok: false, failure: { kind: "failed", exitCode: null, message: `ipmitool session: more than ${MAX_BUFFERED_BYTES} bytes without an answer` }, stdout: "", stderr: "" });
    }
  }

  private onExit(live: LiveSession): void {
    if (live.exited) return;
    live.exited = true;
    if (this.live === live) this.live = undefined;
    const { stdout, stderr } = live;
    // No exit code tells ipmitool's story here (the shell's `wait` returns 0): what went wrong is on stderr.
    const failure: IpmiFailure = NOT_RUNNABLE.test(stderr)
      ? { kind: "not-installed", message: `${this.binary}: ${firstLine(stderr)}` }
      : stderr.trim() !== ""
        ? parseIpmitoolFailure(stderr, null)
        : { kind: "failed", exitCode: null, message: "ipmitool session ended before answering" };
    live.pending?.settle({ ok: false, failure, stdout, stderr });
    // cat still waits on its input: end it, and with it the shell.
    this.endInput(live);
  }

  /** Closes the current session: end of input lets it exit; it is killed if it has not within a grace period. */
  private retire(): void {
    if (this.idleTimer) this.clock.clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    const live = this.live;
    if (!live) return;
    this.live = undefined;
    this.endInput(live);
  }

  /** End of input: cat, ipmitool and the shell exit in turn; killed if they have not within a grace period. */
  private endInput(live: LiveSession): void {
    if (live.inputEnded) return;
    live.inputEnded = true;
    // The shell closes its BMC session on `exit`; at end of input alone it would be killed with the session open.
    live.child.stdin.end(live.mode === "shell" && !live.exited ? "exit\n" : undefined);
    if (live.child.exitCode !== null || live.child.signalCode !== null) return;
    const timer = this.clock.setTimeout(() => this.kill(live), EXIT_GRACE_MS);
    live.child.once("close", () => this.clock.clearTimeout(timer));
  }

  private kill(live: LiveSession): void {
    if (this.live === live) this.live = undefined;
    if (live.child.exitCode !== null || live.child.signalCode !== null || live.child.pid === undefined) return;
    try {
      process.kill(-live.child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
}
