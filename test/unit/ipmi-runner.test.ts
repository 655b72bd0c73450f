import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { IpmitoolRunner, type IpmitoolTarget } from "../../src/hardware/ipmi/index.js";

/** Stand-in ipmitool binaries: shell scripts that answer the way the real one does. */
let dir: string;
function fakeIpmitool(name: string, body: string): string {
  const file = join(dir, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "coolfleet-ipmitool-"));
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

const LAN: IpmitoolTarget = { interface: "lanplus", host: "127.0.0.1", port: 6230, username: "root", password: "calvin" };

describe("IpmitoolRunner", () => {
  it("runs the binary with the built command line and the password in its environment only", async () => {
    const bin = fakeIpmitool("echo-args", 'echo "ARGS $*"; echo "PW $IPMI_PASSWORD"; echo "LC $LC_ALL"');
    const outcome = await new IpmitoolRunner({ target: LAN, timeoutMs: 10_000, ipmitoolPath: bin }).run(["mc", "info"]);
    expect(outcome.ok).toBe(true);
    expect(outcome.stdout).toBe("ARGS -I lanplus -H 127.0.0.1 -p 6230 -U root -E mc info\nPW calvin\nLC C\n");
    expect(outcome.durationMs).toBeGreaterThan(0);
  });

  it("parses the completion code of a refused raw command from stderr", async () => {
    const bin = fakeIpmitool(
      "refuse",
      'echo "Unable to send RAW command (channel=0x0 netfn=0x30 lun=0x0 cmd=0x30 rsp=0xd4): Insufficient privilege level" >&2; exit 1',
    );
    const outcome = await new IpmitoolRunner({ target: LAN, timeoutMs: 10_000, ipmitoolPath: bin }).run(["raw", "0x30", "0x30", "0x01", "0x00"]);
    expect(outcome).toMatchObject({ ok: false, failure: { kind: "completion-code", code: 0xd4 } });
  });

  it("kills a hung ipmitool at the hard timeout (time from the injected clock)", async () => {
    const bin = fakeIpmitool("hang", "exec sleep 30");
    const clock = new ManualClock();
    const runner = new IpmitoolRunner({ target: LAN, timeoutMs: 3_000, ipmitoolPath: bin, clock });
    const pending = runner.run(["sdr", "type", "fan"]);
    clock.advance(2_999);
    clock.advance(1);
    const outcome = await pending;
    expect(outcome).toMatchObject({ ok: false, failure: { kind: "timeout" } });
    if (!outcome.ok) expect(outcome.failure.message).toContain("killed after 3000 ms");
  });

  it("reports a missing binary as not-installed", async () => {
    const outcome = await new IpmitoolRunner({ target: { interface: "open" }, timeoutMs: 1_000, ipmitoolPath: join(dir, "no-such-ipmitool") }).run(["mc", "info"]);
    expect(outcome).toMatchObject({ ok: false, failure: { kind: "not-installed" } });
  });

  it("never puts the password in a description", () => {
    expect(new IpmitoolRunner({ target: LAN, timeoutMs: 1_000 }).describeTarget()).toBe("lanplus://root@127.0.0.1:6230");
  });
});
