import { describe, expect, it } from "vitest";
import { ManualClock } from "../../src/core/clock.js";
import { IpmiCommandError, IpmiFanActuator, tierFromOutcome, type IpmiCommandRunner, type IpmiFailure, type IpmitoolOutcome } from "../../src/hardware/ipmi/index.js";

function okOutcome(stdout = ""): IpmitoolOutcome {
  return { ok: true, stdout, stderr: "", durationMs: 1 };
}
function failed(failure: IpmiFailure): IpmitoolOutcome {
  return { ok: false, failure, stdout: "", stderr: "", durationMs: 1 };
}
const cc = (code: number): IpmitoolOutcome => failed({ kind: "completion-code", code, message: "" });
const NO_SESSION = failed({ kind: "no-session", message: "Error: Unable to establish IPMI v2 / RMCP+ session" });

/** A BMC behind a scripted ipmitool: answers each command from a function, records what was sent. */
class ScriptedRunner implements IpmiCommandRunner {
  readonly sent: string[] = [];
  constructor(public answer: (command: string) => IpmitoolOutcome) {}
  run(command: readonly string[]): Promise<IpmitoolOutcome> {
    const text = command.join(" ");
    this.sent.push(text);
    return Promise.resolve(this.answer(text));
  }
}

const MANUAL_ON = "raw 0x30 0x30 0x01 0x00";
const AUTO = "raw 0x30 0x30 0x01 0x01";
const all = (hex: string) => `raw 0x30 0x30 0x02 0xff ${hex}`;

describe("tierFromOutcome (decision table)", () => {
  it.each([
    ["accepted", okOutcome(), { decided: true, tier: "full" }],
    ["0xD4 (iDRAC9 ≥ 3.34)", cc(0xd4), { decided: true, tier: "monitor" }],
    ["0xC1 (command absent)", cc(0xc1), { decided: true, tier: "monitor" }],
    ["0xD5 (not in present state)", cc(0xd5), { decided: true, tier: "monitor" }],
    ["0xCC (data not understood)", cc(0xcc), { decided: true, tier: "monitor" }],
    ["0xC0 (busy, retry)", cc(0xc0), { decided: false }],
    ["0xFF (unspecified)", cc(0xff), { decided: false }],
    ["no session (unreachable)", NO_SESSION, { decided: false }],
    ["timeout", failed({ kind: "timeout", message: "killed" }), { decided: false }],
    ["no /dev/ipmi0", failed({ kind: "no-device", message: "Could not open device" }), { decided: false }],
    ["ipmitool missing", failed({ kind: "not-installed", message: "ENOENT" }), { decided: false }],
  ] as const)("%s", (_label, outcome, expected) => {
    expect(tierFromOutcome(outcome)).toMatchObject(expected);
  });

  it("never decides 'floor': ipmitool has no floor/offset knob", () => {
    const tiers = [okOutcome(), cc(0xd4), cc(0xc1), cc(0xcc), cc(0xd5)].map((o) => tierFromOutcome(o)).map((v) => (v.decided ? v.tier : "undecided"));
    expect(tiers).not.toContain("floor");
  });
});

describe("IpmiFanActuator", () => {
  it("accepting firmware: full tier, manual-on then all fans, writes only on change or re-assertion", async () => {
    const clock = new ManualClock();
    const runner = new ScriptedRunner(() => okOutcome());
    const tiers: string[] = [];
    const fans = new IpmiFanActuator({ runner, clock, fanCount: 6, reassertMs: 10_000, onTierChange: (t) => tiers.push(t) });
    await fans.takeControl();
    expect(fans.tier).toBe("full");
    expect(tiers).toEqual(["full"]);
    await fans.setPct(80);
    await fans.setPct(80.2); // rounds to the same 80 %: nothing to send
    clock.advance(1_000);
    await fans.setPct(35.6);
    expect(runner.sent).toEqual([MANUAL_ON, all("0x50"), all("0x24")]);
    clock.advance(10_000);
    await fans.setPct(36);
    expect(runner.sent.slice(3)).toEqual([MANUAL_ON, all("0x24")]);
    await fans.setPct(150);
    await fans.setPct(-5);
    expect(runner.sent.slice(5)).toEqual([all("0x64"), all("0x00")]);
  });

  it("refusing firmware (0xD4): monitor, writes become no-ops, no crash and no retry storm", async () => {
    const clock = new ManualClock();
    const runner = new ScriptedRunner((c) => (c.startsWith("raw 0x30 0x30") ? cc(0xd4) : okOutcome()));
    const fans = new IpmiFanActuator({ runner, clock, fanCount: 6, reprobeMs: 600_000 });
    await fans.takeControl();
    expect(fans.tier).toBe("monitor");
    expect(fans.tierReason).toContain("0xD4");
    for (let i = 0; i < 100; i++) {
      clock.advance(1_000);
      await fans.setPct(50 + (i % 7));
    }
    expect(runner.sent).toEqual([MANUAL_ON]);
    clock.advance(500_000); // 10 min after the probe: ask again, once
    await fans.setPct(50);
    expect(runner.sent).toEqual([MANUAL_ON, MANUAL_ON]);
    await fans.restore(); // nothing to hand back: the firmware never let go
    expect(runner.sent).toHaveLength(2);
  });

  it("a refused speed write drops to monitor with the reason, and restore still hands back", async () => {
    const clock = new ManualClock();
    const runner = new ScriptedRunner((c) => (c.startsWith("raw 0x30 0x30 0x02") ? cc(0xd4) : okOutcome()));
    const fans = new IpmiFanActuator({ runner, clock, fanCount: 6 });
    await fans.takeControl();
    await fans.setPct(40);
    expect(fans.tier).toBe("monitor");
    expect(fans.tierReason).toMatch(/^all fans to 40 % refused \(0xD4\)/);
    await fans.restore();
    expect(runner.sent.at(-1)).toBe(AUTO);
  });

  it("an unreachable BMC is not a refusal: undecided, retried with backoff, and recovers to full", async () => {
    const clock = new ManualClock();
    let reachable = false;
    const runner = new ScriptedRunner(() => (reachable ? okOutcome() : NO_SESSION));
    const fans = new IpmiFanActuator({ runner, clock, fanCount: 6, reprobeMs: 600_000 });
    await fans.takeControl(); // does not throw: the agent starts, the firmware keeps the fans
    expect(fans.tier).toBe("monitor");
    expect(fans.tierReason).toContain("no answer to manual-on");
    clock.advance(4_999);
    await fans.setPct(50);
    expect(runner.sent).toHaveLength(1);
    clock.advance(1);
    await fans.setPct(50); // 5 s: second probe
    clock.advance(9_999);
    await fans.setPct(50);
    expect(runner.sent).toHaveLength(2); // backoff doubled to 10 s
    reachable = true;
    clock.advance(1);
    await fans.setPct(50);
    expect(fans.tier).toBe("full");
    expect(runner.sent.slice(2)).toEqual([MANUAL_ON, all("0x32")]);
  });

  it("losing the BMC mid-run throws IpmiCommandError (no verdict), then re-asserts manual when it is back", async () => {
    const clock = new ManualClock();
    let reachable = true;
    const runner = new ScriptedRunner(() => (reachable ? okOutcome() : NO_SESSION));
    const fans = new IpmiFanActuator({ runner, clock, fanCount: 6 });
    await fans.takeControl();
    await fans.setPct(30);
    reachable = false;
    clock.advance(1_000);
    const err = await fans.setPct(60).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(IpmiCommandError);
    expect((err as IpmiCommandError).failure.kind).toBe("no-session");
    expect(fans.tier).toBe("full");
    const sentWhileDown = runner.sent.length;
    // Within the backoff no ipmitool runs: the agent's period is not stalled by a timeout every second.
    for (let i = 0; i < 4; i++) {
      clock.advance(1_000);
      await expect(fans.setPct(60)).rejects.toThrow(/fan write skipped until the BMC answers/);
    }
    expect(runner.sent).toHaveLength(sentWhileDown);
    reachable = true;
    clock.advance(1_000);
    await fans.setPct(60);
    expect(runner.sent.slice(-2)).toEqual([MANUAL_ON, all("0x3c")]);
  });

  it("restore sends automatic once and is safe to call again", async () => {
    const clock = new ManualClock();
    const runner = new ScriptedRunner(() => okOutcome());
    const fans = new IpmiFanActuator({ runner, clock, fanCount: 6 });
    await fans.takeControl();
    await fans.restore();
    await fans.restore();
    expect(runner.sent).toEqual([MANUAL_ON, AUTO]);
  });

  it("restore that cannot reach the BMC rejects, so the agent logs it; a later call tries again", async () => {
    const clock = new ManualClock();
    let reachable = true;
    const runner = new ScriptedRunner(() => (reachable ? okOutcome() : NO_SESSION));
    const fans = new IpmiFanActuator({ runner, clock, fanCount: 6 });
    await fans.takeControl();
    reachable = false;
    await expect(fans.restore()).rejects.toThrow(/handing fans back/);
    reachable = true;
    await fans.restore();
    expect(runner.sent).toEqual([MANUAL_ON, AUTO, AUTO]);
  });

  it("a timed-out manual-on may have taken effect: restore hands back anyway", async () => {
    const clock = new ManualClock();
    const runner = new ScriptedRunner((c) => (c === MANUAL_ON ? failed({ kind: "timeout", message: "killed" }) : okOutcome()));
    const fans = new IpmiFanActuator({ runner, clock, fanCount: 6 });
    await fans.takeControl();
    await fans.restore();
    expect(runner.sent).toEqual([MANUAL_ON, AUTO]);
  });

  it("serialises concurrent calls so the BMC sees them in call order", async () => {
    const clock = new ManualClock();
    const runner = new ScriptedRunner(() => okOutcome());
    const fans = new IpmiFanActuator({ runner, clock, fanCount: 6 });
    await Promise.all([fans.takeControl(), fans.setPct(20), fans.setPct(90), fans.restore()]);
    expect(runner.sent).toEqual([MANUAL_ON, all("0x14"), all("0x5a"), AUTO]);
  });
});
