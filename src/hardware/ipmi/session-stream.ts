/**
 * The wire format of a persistent ipmitool session (`ipmitool … exec /dev/stdin`): each command is followed by two
 * markers, one per output stream, so its output can be cut out of the session's stdout and stderr.
 *
 * - `exec /dev/null/<mark>` makes ipmitool complain on stderr ("File /dev/null/<mark> does not exist"); /dev/null
 *   is not a directory, so that file can never exist.
 * - `echo <mark>` prints the mark on stdout.
 *
 * ipmitool runs a session's lines in order, so both markers are written after everything the command printed.
 */

/** Words ipmitool's exec reader would split, quote or skip: a command must not contain them. */
const UNSAFE_WORD = /[\s"'\\#]/;

/** The lines sent for one command, or why the command cannot go through a session. */
export function sessionLines(command: readonly string[], mark: string): { ok: true; text: string } | { ok: false; reason: string } {
  if (command.length === 0) return { ok: false, reason: "empty ipmitool command" };
  const unsafe = command.find((word) => word.length === 0 || UNSAFE_WORD.test(word));
  if (unsafe !== undefined) return { ok: false, reason: `ipmitool argument ${JSON.stringify(unsafe)} cannot go through a session (empty, or holds whitespace, quotes, a backslash or #)` };
  return { ok: true, text: `${command.join(" ")}\nexec /dev/null/${mark}\necho ${mark}\n` };
}

/** One command's share of the two streams, and what is left after its markers. */
export interface SessionAnswer {
  stdout: string;
  stderr: string;
  restStdout: string;
  restStderr: string;
}

/** The command's answer once both markers have arrived; undefined while either is still missing. */
export function takeAnswer(stdout: string, stderr: string, mark: string): SessionAnswer | undefined {
  const out = findMarkerLine(stdout, (line) => line.trimEnd() === mark);
  const path = `/dev/null/${mark}`;
  const err = findMarkerLine(stderr, (line) => {
    const at = line.indexOf(path);
    return at >= 0 && !/\w/.test(line.charAt(at + path.length));
  });
  if (!out || !err) return undefined;
  return { stdout: stdout.slice(0, out.start), stderr: stderr.slice(0, err.start), restStdout: stdout.slice(out.end), restStderr: stderr.slice(err.end) };
}

/** The first whole line (ended by "\n") that matches, as offsets: start of the line, just past its newline. */
function findMarkerLine(text: string, matches: (line: string) => boolean): { start: number; end: number } | undefined {
  let start = 0;
  for (;;) {
    const newline = text.indexOf("\n", start);
    if (newline < 0) return undefined;
    if (matches(text.slice(start, newline))) return { start, end: newline + 1 };
    start = newline + 1;
  }
}

/** What `ipmitool shell` prints before each line it reads; readline echoes the line after it. */
const SHELL_PROMPT = "ipmitool> ";

/** Terminal control a readline may write around its prompt (bracketed paste on and off, carriage returns). */
const TERMINAL_CONTROL = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;?]*[A-Za-z]|\r`, "g");

/**
 * A shell session's answer without its prompt lines (the prompt and the echoed command, or a bare prompt), and
 * without any terminal control around them: left in, it would make a refused command's empty answer look like one.
 */
export function withoutPrompts(stdout: string): string {
  return stdout
    .replace(TERMINAL_CONTROL, "")
    .split("\n")
    .filter((line) => !line.startsWith(SHELL_PROMPT))
    .join("\n");
}
