import { execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/**
 * A wrapper in front of the real ipmitool that answers as other builds do: Fedora's and RHEL's (configured with
 * --enable-file-security) refuse `exec /dev/stdin` (lib/helper.c: only a regular file will do); a build without
 * readline has no shell. Everything else goes to the real ipmitool. Returns the wrapper's path and its directory
 * (the caller removes it).
 */
export function ipmitoolBuild(refuse: { exec?: boolean; shell?: boolean }): { path: string; dir: string } {
  const dir = mkdtempSync(join(tmpdir(), "coolfleet-ipmitool-build-"));
  const real = execFileSync("sh", ["-c", "command -v ipmitool"], { encoding: "utf8" }).trim();
  const path = join(dir, "ipmitool");
  const checks = [
    refuse.exec ? 'for a in "$@"; do [ "$a" = /dev/stdin ] && { echo "File /dev/stdin has invalid mode: 8592" >&2; exit 1; }; done' : "",
    refuse.shell ? 'for a in "$@"; do [ "$a" = shell ] && { echo "Compiled without readline, shell is disabled" >&2; exit 1; }; done' : "",
  ];
  writeFileSync(path, `#!/bin/sh\n${checks.join("\n")}\nexec ${real} "$@"\n`);
  chmodSync(path, 0o755);
  return { path, dir };
}
