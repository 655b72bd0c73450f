import { describe, expect, it } from "vitest";
import type { Command } from "../../src/protocol/index.js";
import { CommandLease, type AckDecision } from "../../src/agent/command-lease.js";
import { isCoolfleetError } from "../../src/core/errors.js";

const HOST = "r740-07";
const T0 = 1_700_000_000_000;
const MAX_LEASE_MS = 30_000;

function cmd(seq: number, over: Partial<Command> = {}): Command {
  return {
    v: 1,
    id: `cmd-${seq}`,
    host: HOST,
    seq,
    issuedAt: T0,
    expiresAt: T0 + 10_000,
    setpoints: { fanPct: 40 + seq },
    ...over,
  };
}

function lease(): CommandLease {
  return new CommandLease({ hostId: HOST, maxLeaseMs: MAX_LEASE_MS });
}

/** Receives and applies a command at nowMs, as a control tick would. */
function applied(l: CommandLease, c: Command, nowMs: number): void {
  expect(l.receive(c, nowMs)).toEqual([]);
  expect(l.takePending(nowMs)).toEqual({ cmd: c, acks: [] });
}

describe("CommandLease", () => {
  describe("receive", () => {
    it.each<[string, (l: CommandLease) => void, Command, Omit<AckDecision, "cmdId" | "seq">]>([
      ["a command for another host", () => {}, cmd(1, { host: "r740-08" }), { status: "rejected", reason: "wrong host (addressed to r740-08, this is r740-07)" }],
      ["a command that expired before it arrived", () => {}, cmd(1, { expiresAt: T0 - 1 }), { status: "expired", reason: "expiresAt is 1 ms in the past on arrival" }],
      ["a command expiring the very ms it arrives", () => {}, cmd(1, { expiresAt: T0 }), { status: "expired", reason: "expiresAt is 0 ms in the past on arrival" }],
      ["the same seq again", (l) => applied(l, cmd(5), T0), cmd(5, { id: "other-id" }), { status: "rejected", reason: "replayed" }],
      ["the same id again with a new seq", (l) => applied(l, cmd(5), T0), cmd(6, { id: "cmd-5" }), { status: "rejected", reason: "replayed" }],
      ["an older seq", (l) => applied(l, cmd(5), T0), cmd(4), { status: "rejected", reason: "out of order (seq 4 ≤ 5)" }],
    ])("rejects %s", (_label, setup, incoming, expected) => {
      const l = lease();
      setup(l);
      const before = l.lastAcceptedSeq;
      expect(l.receive(incoming, T0)).toEqual([{ cmdId: incoming.id, seq: incoming.seq, ...expected }]);
      expect(l.lastAcceptedSeq).toBe(before);
      expect(l.takePending(T0)).toEqual({ cmd: undefined, acks: [] });
    });

    it("accepts a newer seq silently: the caller acks 'applied' after the governor ran", () => {
      const l = lease();
      applied(l, cmd(5), T0);
      expect(l.receive(cmd(9), T0 + 100)).toEqual([]);
      expect(l.lastAcceptedSeq).toBe(9);
      expect(l.takePending(T0 + 200).cmd?.seq).toBe(9);
      expect(l.active(T0 + 200)?.seq).toBe(9);
    });

    it("accepts seq 0 as the first command of a boot", () => {
      const l = lease();
      expect(l.lastAcceptedSeq).toBeUndefined();
      applied(l, cmd(0), T0);
      expect(l.lastAcceptedSeq).toBe(0);
    });

    it("supersedes an accepted command that was not applied yet", () => {
      const l = lease();
      expect(l.receive(cmd(1), T0)).toEqual([]);
      expect(l.receive(cmd(2), T0 + 10)).toEqual([
        { cmdId: "cmd-1", seq: 1, status: "superseded", reason: "superseded by seq 2 before it was applied" },
      ]);
      expect(l.takePending(T0 + 20)).toEqual({ cmd: cmd(2), acks: [] });
      // A late duplicate of the superseded one is a replay, not a new command.
      expect(l.receive(cmd(1), T0 + 30)).toEqual([{ cmdId: "cmd-1", seq: 1, status: "rejected", reason: "replayed" }]);
    });
  });

  describe("lease", () => {
    it("ends at expiresAt when that comes before the cap", () => {
      const l = lease();
      applied(l, cmd(1, { expiresAt: T0 + 10_000 }), T0);
      expect(l.leaseEndsAt()).toBe(T0 + 10_000);
    });

    it("is capped at arrival + maxLeaseMs, whatever a far-future expiresAt says", () => {
      const l = lease();
      applied(l, cmd(1, { expiresAt: T0 + 86_400_000 }), T0 + 500);
      expect(l.leaseEndsAt()).toBe(T0 + 500 + MAX_LEASE_MS);
      expect(l.active(T0 + 500 + MAX_LEASE_MS - 1)?.seq).toBe(1);
      expect(l.active(T0 + 500 + MAX_LEASE_MS)).toBeUndefined();
    });

    it("lapses: active() is undefined from the lease end on, and stays so", () => {
      const l = lease();
      applied(l, cmd(1), T0);
      expect(l.active(T0)?.seq).toBe(1);
      expect(l.active(T0 + 9_999)?.seq).toBe(1);
      expect(l.active(T0 + 10_000)).toBeUndefined();
      expect(l.leaseEndsAt()).toBeUndefined();
      expect(l.active(T0 + 9_999)).toBeUndefined(); // a clock stepping back does not revive it
    });

    it("is undefined before anything was applied", () => {
      const l = lease();
      expect(l.active(T0)).toBeUndefined();
      expect(l.leaseEndsAt()).toBeUndefined();
      expect(l.receive(cmd(1), T0)).toEqual([]);
      expect(l.active(T0)).toBeUndefined(); // pending is not active until a tick takes it
    });

    it("a QoS 1 duplicate of the applied command is rejected as replayed and does not extend the lease", () => {
      const l = lease();
      const c = cmd(3, { expiresAt: T0 + 86_400_000 });
      applied(l, c, T0);
      const endMs = l.leaseEndsAt();
      expect(l.receive(c, T0 + 20_000)).toEqual([{ cmdId: "cmd-3", seq: 3, status: "rejected", reason: "replayed" }]);
      expect(l.takePending(T0 + 20_000)).toEqual({ cmd: undefined, acks: [] });
      expect(l.leaseEndsAt()).toBe(endMs);
      expect(l.active(T0 + MAX_LEASE_MS)).toBeUndefined();
    });

    it("a newer command replaces the active one and its lease", () => {
      const l = lease();
      applied(l, cmd(1), T0);
      applied(l, cmd(2, { expiresAt: T0 + 25_000 }), T0 + 5_000);
      expect(l.active(T0 + 20_000)?.seq).toBe(2);
      expect(l.leaseEndsAt()).toBe(T0 + 25_000);
    });

    it("takes a new command after the previous lease lapsed", () => {
      const l = lease();
      applied(l, cmd(1), T0);
      expect(l.active(T0 + 60_000)).toBeUndefined();
      applied(l, cmd(2, { expiresAt: T0 + 70_000 }), T0 + 60_000);
      expect(l.active(T0 + 60_000)?.seq).toBe(2);
    });
  });

  describe("takePending", () => {
    it("returns nothing when nothing is pending, and each pending command only once", () => {
      const l = lease();
      expect(l.takePending(T0)).toEqual({ cmd: undefined, acks: [] });
      l.receive(cmd(1), T0);
      expect(l.takePending(T0).cmd?.seq).toBe(1);
      expect(l.takePending(T0)).toEqual({ cmd: undefined, acks: [] });
    });

    it("acks 'expired' for a command whose lease ended before a tick could apply it", () => {
      const l = lease();
      applied(l, cmd(1, { expiresAt: T0 + 60_000 }), T0);
      l.receive(cmd(2, { expiresAt: T0 + 2_000 }), T0 + 1_000);
      expect(l.takePending(T0 + 2_000)).toEqual({
        cmd: undefined,
        acks: [{ cmdId: "cmd-2", seq: 2, status: "expired", reason: "lease ended before a control tick could apply it" }],
      });
      // The command already in force is untouched.
      expect(l.active(T0 + 2_000)?.seq).toBe(1);
      expect(l.lastAcceptedSeq).toBe(2);
    });
  });

  it("forgets old ids but still rejects their seqs as out of order", () => {
    const l = lease();
    for (let seq = 1; seq <= 400; seq++) applied(l, cmd(seq, { expiresAt: T0 + 1_000_000 }), T0 + seq);
    expect(l.receive(cmd(1, { expiresAt: T0 + 1_000_000 }), T0 + 500)).toEqual([
      { cmdId: "cmd-1", seq: 1, status: "rejected", reason: "out of order (seq 1 ≤ 400)" },
    ]);
    expect(l.receive(cmd(400, { expiresAt: T0 + 1_000_000 }), T0 + 500)[0]?.reason).toBe("replayed");
  });

  it("refuses a maxLeaseMs that would make leases endless", () => {
    for (const maxLeaseMs of [NaN, 0, -1, Infinity]) {
      let caught: unknown;
      try {
        new CommandLease({ hostId: HOST, maxLeaseMs });
      } catch (err) {
        caught = err;
      }
      expect(isCoolfleetError(caught, "CONFIG_INVALID")).toBe(true);
    }
  });
});
