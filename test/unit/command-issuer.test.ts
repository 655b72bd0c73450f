import { describe, expect, it } from "vitest";
import { Command, PROTOCOL_VERSION, type Ack, type AckStatus } from "../../src/protocol/index.js";
import type { SetpointProposal } from "../../src/controller/types.js";
import { CommandIssuer } from "../../src/controller/commands/command-issuer.js";
import { ManualClock } from "../../src/core/clock.js";
import { isCoolfleetError } from "../../src/core/errors.js";

const T0 = 1_700_000_000_000;

function proposal(hostId: string, fanPct = 50, ttlMs = 3000, pumpPct?: number): SetpointProposal {
  return { hostId, setpoints: pumpPct === undefined ? { fanPct } : { fanPct, pumpPct }, ttlMs };
}

function ackFor(cmd: Command, status: AckStatus = "applied", over: Partial<Ack> = {}): Ack {
  return { v: PROTOCOL_VERSION, host: cmd.host, boot: "boot-0001", cmdId: cmd.id, seq: cmd.seq, status, ts: cmd.issuedAt, ...over };
}

function one(commands: Command[]): Command {
  expect(commands).toHaveLength(1);
  return commands[0] as Command;
}

describe("CommandIssuer: commands", () => {
  it("builds valid protocol commands with a unique id, issuedAt and expiresAt = now + ttl", () => {
    const issuer = new CommandIssuer();
    const commands = issuer.issue([proposal("h1", 40, 3000), proposal("h2", 60, 4500, 30)], T0);
    expect(commands).toHaveLength(2);
    for (const cmd of commands) expect(Command.safeParse(cmd).success).toBe(true);
    const [a, b] = commands as [Command, Command];
    expect(a).toMatchObject({ v: 1, host: "h1", issuedAt: T0, expiresAt: T0 + 3000, setpoints: { fanPct: 40 } });
    expect(b).toMatchObject({ v: 1, host: "h2", issuedAt: T0, expiresAt: T0 + 4500, setpoints: { fanPct: 60, pumpPct: 30 } });
    expect(a.id).not.toBe(b.id);
    expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("keeps timestamps whole ms on a fractional clock", () => {
    const cmd = one(new CommandIssuer().issue([proposal("h1", 40, 2500.5)], T0 + 0.7));
    expect(cmd.issuedAt).toBe(T0);
    expect(cmd.expiresAt).toBe(T0 + 2501);
    expect(Command.safeParse(cmd).success).toBe(true);
  });

  it("skips proposals without a usable ttl", () => {
    expect(new CommandIssuer().issue([proposal("h1", 40, 0), proposal("h1", 40, Number.NaN)], T0)).toEqual([]);
  });
});

describe("CommandIssuer: seq", () => {
  it("is strictly increasing per host within an instance, even within one ms", () => {
    const issuer = new CommandIssuer({ skipUnchanged: false });
    const seqs = [T0, T0, T0, T0 + 1, T0 + 5000].map((nowMs) => one(issuer.issue([proposal("h1")], nowMs)).seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBeGreaterThan(seqs[i - 1] ?? Infinity);
    expect(seqs[0]).toBe(T0);
  });

  it("stays strictly increasing across a controller restart at a later clock time", () => {
    const clock = new ManualClock(T0);
    const first = new CommandIssuer({ skipUnchanged: false });
    // A burst within one ms pushes the seq ahead of the clock.
    let lastSeq = -1;
    for (let i = 0; i < 5; i++) lastSeq = one(first.issue([proposal("h1", 40 + i)], clock.nowMs())).seq;
    clock.advance(1500); // the restart
    const second = new CommandIssuer({ skipUnchanged: false });
    const seqs = [0, 1, 1000].map((stepMs) => {
      clock.advance(stepMs);
      return one(second.issue([proposal("h1")], clock.nowMs())).seq;
    });
    expect(seqs[0]).toBeGreaterThan(lastSeq);
    expect(seqs[1]).toBeGreaterThan(seqs[0] ?? Infinity);
    expect(seqs[2]).toBeGreaterThan(seqs[1] ?? Infinity);
  });

  it("survives a clock stepped back when seeded from the store or the agent's cmdSeq", () => {
    const first = new CommandIssuer();
    const last = one(first.issue([proposal("h1")], T0 + 60_000)).seq;
    const seeded = new CommandIssuer({ lastSeqByHost: first.lastSeqs() });
    expect(one(seeded.issue([proposal("h1")], T0)).seq).toBe(last + 1);
    const observing = new CommandIssuer();
    observing.observeSeq("h1", last);
    observing.observeSeq("h1", 3); // never lowers it
    expect(one(observing.issue([proposal("h1")], T0)).seq).toBe(last + 1);
    // Without either, a clock stepped back would reuse old ground: the reason for both.
    expect(one(new CommandIssuer().issue([proposal("h1")], T0)).seq).toBeLessThan(last);
  });

  it("counts per host", () => {
    const issuer = new CommandIssuer();
    issuer.observeSeq("h1", T0 + 10_000);
    const [a, b] = issuer.issue([proposal("h1"), proposal("h2")], T0) as [Command, Command];
    expect(a.seq).toBe(T0 + 10_001);
    expect(b.seq).toBe(T0);
  });
});

describe("CommandIssuer: skipping unchanged set-points", () => {
  it.each<[name: string, nextFanPct: number, elapsedMs: number, sent: boolean]>([
    ["same, lease fresh", 50, 1000, false],
    ["within 0.5 points, lease fresh", 50.5, 1000, false],
    ["just over 0.5 points", 50.6, 1000, true],
    ["same, exactly half the lease left", 50, 1500, true],
    ["same, just over half left", 50, 1499, false],
    ["same, lease expired", 50, 5000, true],
  ])("%s → sent %s", (_name, nextFanPct, elapsedMs, sent) => {
    const issuer = new CommandIssuer();
    one(issuer.issue([proposal("h1", 50, 3000)], T0));
    expect(issuer.issue([proposal("h1", nextFanPct, 3000)], T0 + elapsedMs)).toHaveLength(sent ? 1 : 0);
    expect(issuer.stats()).toMatchObject({ sent: sent ? 2 : 1, skipped: sent ? 0 : 1 });
  });

  it("sends when the pump set-point appears or changes", () => {
    const issuer = new CommandIssuer();
    issuer.issue([proposal("h1", 50, 3000)], T0);
    expect(issuer.issue([proposal("h1", 50, 3000, 40)], T0 + 100)).toHaveLength(1);
    expect(issuer.issue([proposal("h1", 50, 3000, 40.3)], T0 + 200)).toHaveLength(0);
    expect(issuer.issue([proposal("h1", 50, 3000, 45)], T0 + 300)).toHaveLength(1);
  });

  it("re-sends after the last command was rejected or expired, not after it was applied", () => {
    for (const [status, resent] of [
      ["applied", false],
      ["rejected", true],
      ["expired", true],
    ] as const) {
      const issuer = new CommandIssuer();
      const cmd = one(issuer.issue([proposal("h1")], T0));
      issuer.onAck(ackFor(cmd, status), T0 + 20);
      expect(issuer.issue([proposal("h1")], T0 + 100), status).toHaveLength(resent ? 1 : 0);
    }
  });

  it("can be switched off, and tuned", () => {
    const always = new CommandIssuer({ skipUnchanged: false });
    always.issue([proposal("h1")], T0);
    expect(always.issue([proposal("h1")], T0 + 1)).toHaveLength(1);
    const loose = new CommandIssuer({ unchangedTolerancePct: 2, resendAtLeaseFraction: 0.1 });
    loose.issue([proposal("h1", 50, 3000)], T0);
    expect(loose.issue([proposal("h1", 51.5, 3000)], T0 + 2500)).toHaveLength(0);
  });

  it("refuses nonsense options", () => {
    for (const options of [{ unchangedTolerancePct: -1 }, { latencyWindow: 0 }, { ackGraceMs: Number.NaN }]) {
      let caught: unknown;
      try {
        new CommandIssuer(options);
      } catch (err) {
        caught = err;
      }
      expect(isCoolfleetError(caught, "CONFIG_INVALID"), JSON.stringify(options)).toBe(true);
    }
  });
});

describe("CommandIssuer: acks", () => {
  it("returns the ack latency and counts acks by status", () => {
    const issuer = new CommandIssuer({ skipUnchanged: false });
    const [a, b] = issuer.issue([proposal("h1"), proposal("h2"), proposal("h3")], T0) as [Command, Command, Command];
    expect(issuer.stats().outstanding).toBe(3);
    expect(issuer.onAck(ackFor(a, "applied"), T0 + 120)).toBe(120);
    expect(issuer.onAck(ackFor(b, "rejected"), T0 + 15)).toBe(15);
    expect(issuer.stats()).toMatchObject({ sent: 3, acked: { applied: 1, rejected: 1, expired: 0, superseded: 0 }, outstanding: 1 });
  });

  it("computes p50 and p99 over a bounded recent window", () => {
    const issuer = new CommandIssuer({ skipUnchanged: false, latencyWindow: 100 });
    expect(issuer.stats().ackLatencyP50Ms).toBeUndefined();
    // 100 acks at 1..100 ms: p50 = 50, p99 = 99 (nearest rank).
    for (let i = 1; i <= 100; i++) {
      const cmd = one(issuer.issue([proposal("h1")], T0 + i * 1000));
      issuer.onAck(ackFor(cmd), T0 + i * 1000 + i);
    }
    expect(issuer.stats()).toMatchObject({ ackLatencyP50Ms: 50, ackLatencyP99Ms: 99 });
    // 50 more at 1000 ms push the oldest (fastest) out of the window.
    for (let i = 101; i <= 150; i++) {
      const cmd = one(issuer.issue([proposal("h1")], T0 + i * 1000));
      issuer.onAck(ackFor(cmd), T0 + i * 1000 + 1000);
    }
    expect(issuer.stats()).toMatchObject({ ackLatencyP50Ms: 100, ackLatencyP99Ms: 1000 });
  });

  it.each<[string, (cmd: Command) => Ack]>([
    ["unknown id", (cmd) => ackFor(cmd, "applied", { cmdId: "not-ours" })],
    ["another host", (cmd) => ackFor(cmd, "applied", { host: "h2" })],
    ["another seq", (cmd) => ackFor(cmd, "applied", { seq: cmd.seq + 1 })],
  ])("ignores an ack for an %s", (_name, makeAck) => {
    const issuer = new CommandIssuer();
    const cmd = one(issuer.issue([proposal("h1")], T0));
    expect(issuer.onAck(makeAck(cmd), T0 + 10)).toBeUndefined();
    expect(issuer.stats()).toMatchObject({ acked: { applied: 0 }, outstanding: 1, ackLatencyP50Ms: undefined });
  });

  it("keeps the first final ack and ignores a replayed second one", () => {
    const issuer = new CommandIssuer();
    const cmd = one(issuer.issue([proposal("h1")], T0));
    expect(issuer.onAck(ackFor(cmd, "applied"), T0 + 10)).toBe(10);
    expect(issuer.onAck(ackFor(cmd, "rejected", { reason: "replayed" }), T0 + 20)).toBeUndefined();
    expect(issuer.stats().acked).toEqual({ applied: 1, rejected: 0, expired: 0, superseded: 0 });
    // ... and the replay did not clear the skip rule.
    expect(issuer.issue([proposal("h1")], T0 + 100)).toHaveLength(0);
  });

  it("gives up on commands unacked long past their expiry", () => {
    const issuer = new CommandIssuer({ ackGraceMs: 10_000 });
    const cmd = one(issuer.issue([proposal("h1", 50, 3000)], T0));
    issuer.issue([], T0 + 13_000);
    expect(issuer.stats()).toMatchObject({ outstanding: 1, lost: 0 });
    issuer.issue([], T0 + 13_001);
    expect(issuer.stats()).toMatchObject({ outstanding: 0, lost: 1 });
    expect(issuer.onAck(ackFor(cmd), T0 + 14_000)).toBeUndefined();
  });

  it("forgets a host's commands but not its seq", () => {
    const issuer = new CommandIssuer();
    const cmd = one(issuer.issue([proposal("h1")], T0 + 5000));
    issuer.forgetHost("h1");
    expect(issuer.stats().outstanding).toBe(0);
    expect(one(issuer.issue([proposal("h1")], T0)).seq).toBe(cmd.seq + 1);
  });
});
