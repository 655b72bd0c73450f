import { describe, expect, it } from "vitest";
import { sessionLines, takeAnswer, withoutPrompts } from "../../src/hardware/ipmi/session-stream.js";

describe("the ipmitool session's wire format", () => {
  it("follows a command with its stderr marker, then its stdout marker", () => {
    expect(sessionLines(["sdr", "type", "fan"], "cfabx1")).toEqual({ ok: true, text: "sdr type fan\nexec /dev/null/cfabx1\necho cfabx1\n" });
  });

  it("refuses what ipmitool's line reader would split, quote, escape or skip, and an empty command", () => {
    for (const word of ["fan\nraw", "two words", "tab\there", '"quoted"', "it's", "back\\slash", "#comment", ""]) {
      const lines = sessionLines(["sdr", "type", word], "m");
      expect(lines.ok, JSON.stringify(word)).toBe(false);
    }
    expect(sessionLines([], "m")).toMatchObject({ ok: false, reason: "empty ipmitool command" });
  });

  it("cuts one command's answer out of both streams once both markers are whole, keeping what follows", () => {
    const stdout = "Fan1 RPM         | 30h | ok  |  7.1 | 8040 RPM\nm1 \nnext";
    const stderr = "warning: something\nFile /dev/null/m1 does not exist\nlater";
    expect(takeAnswer(stdout, stderr, "m1")).toEqual({
      stdout: "Fan1 RPM         | 30h | ok  |  7.1 | 8040 RPM\n",
      stderr: "warning: something\n",
      restStdout: "next",
      restStderr: "later",
    });
  });

  it("waits while either marker is missing or not yet a whole line", () => {
    expect(takeAnswer("out\nm1 \n", "", "m1")).toBeUndefined();
    expect(takeAnswer("out\n", "File /dev/null/m1 does not exist\n", "m1")).toBeUndefined();
    expect(takeAnswer("out\nm1", "File /dev/null/m1 does not exist\n", "m1")).toBeUndefined();
    expect(takeAnswer("out\nm1 \n", "File /dev/null/m1 does not", "m1")).toBeUndefined();
  });

  it("matches only its own mark: a marker of another command, or output that merely contains the mark, is not it", () => {
    expect(takeAnswer("m12 \n", "File /dev/null/m12 does not exist\n", "m1")).toBeUndefined();
    expect(takeAnswer("xm1 \nm1 \n", "File /dev/null/m1 does not exist\n", "m1")).toMatchObject({ stdout: "xm1 \n" });
    // Another ipmitool's wording of the same failure still marks stderr.
    expect(takeAnswer("m1 \n", "Unable to open file /dev/null/m1\n", "m1")).toMatchObject({ stdout: "", stderr: "" });
  });

  it("takes a shell session's prompts and echoed lines out of its answer, and nothing else", () => {
    const answer = "ipmitool> sdr type fan\nFan1 RPM         | 30h | ok  |  7.1 | 8040 RPM\nipmitool> exec /dev/null/m1\nipmitool> echo m1\n";
    expect(withoutPrompts(answer)).toBe("Fan1 RPM         | 30h | ok  |  7.1 | 8040 RPM\n");
    expect(withoutPrompts(" 20 01 03\n")).toBe(" 20 01 03\n");
    // A readline that switches bracketed paste on and off around each prompt leaves nothing behind either.
    expect(withoutPrompts("\x1b[?2004hipmitool> raw 0x30 0x99\n\x1b[?2004l\r\x1b[?2004hipmitool> exec /dev/null/m1\n\x1b[?2004l\r").trim()).toBe("");
  });
});
