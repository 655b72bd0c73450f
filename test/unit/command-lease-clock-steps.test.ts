import { describe, expect, it } from "vitest";
import { CommandLease } from "../../src/agent/command-lease.js";
import type { Command } from "../../src/protocol/index.js";

const HOST = "r740-07";
const T0 = 1_700_000_000_000;
const HOUR_MS = 3_600_000;
const MAX_LEASE_MS = 30_000;

function cmd(seq: number, issuedAt: number, ttlMs = 10_000): Command {
  return { v: 1, id: `cmd-${seq}`, host: HOST, seq, issuedAt, expiresAt: issuedAt + ttlMs, setpoints: { fanPct: 50 } };
}

function lease(): CommandLease {
  return new CommandLease({ hostId: HOST, maxLeaseMs: MAX_LEASE_MS });
}

/** The controller's clock is right; the agent's wall clock is `skewMs` off it. */
function apply(l: CommandLease, c: Command, agentNowMs: number): void {
  expect(l.receive(c, agentNowMs)).toEqual([]);
  expect(l.takePending(agentNowMs).cmd?.seq).toBe(c.seq);
}

describe("CommandLease under wall-clock steps", () => {
  it("a backward step does not extend the lease: it lapses after the command's lifetime of elapsed time", () => {
    const l = lease();
    apply(l, cmd(1, T0), T0);
    expect(l.active(T0 + 4_000)?.seq).toBe(1);
    // The wall clock steps back an hour; 5.999 s later (6 s after the step) the lease must still end on time.
    const back = T0 + 4_000 - HOUR_MS;
    expect(l.active(back)?.seq).toBe(1);
    expect(l.active(back + 5_999)?.seq).toBe(1);
    expect(l.active(back + 6_000)).toBeUndefined();
  });

  it("a forward step ends the lease at once (early, never late)", () => {
    const l = lease();
    apply(l, cmd(1, T0), T0);
    expect(l.active(T0 + 1_000 + HOUR_MS)).toBeUndefined();
  });

  it("after a backward step, a command that had expired by the time seen before the step stays expired", () => {
    const l = lease();
    apply(l, cmd(1, T0), T0);
    l.active(T0 + 60_000);
    // Issued 20 s ago and expired 10 s ago by the controller's clock, delivered late; the agent's clock now reads an hour behind.
    const stale = cmd(2, T0 + 40_000);
    const acks = l.receive(stale, T0 + 61_000 - HOUR_MS);
    // The second that passed across the step cannot be told from the step itself: the time line stays at T0 + 60 s.
    expect(acks).toEqual([{ cmdId: "cmd-2", seq: 2, status: "expired", reason: expect.stringMatching(/^expiresAt is 10000 ms in the past on arrival \(this agent.s clock stepped back by 3599000 ms\)$/) as unknown }]);
    expect(l.takePending(T0 + 61_000 - HOUR_MS).cmd).toBeUndefined();
  });

  it("a fresh command on an agent clock running an hour behind holds for its own lifetime, not maxLeaseMs", () => {
    const l = lease();
    const c = cmd(1, T0, 10_000);
    // Without any step seen, a clock behind the controller's makes expiresAt look an hour away.
    apply(l, c, T0 - HOUR_MS);
    expect(l.active(T0 - HOUR_MS + 9_999)?.seq).toBe(1);
    expect(l.active(T0 - HOUR_MS + 10_000)).toBeUndefined();
  });

  it("a wall clock that stepped forward and back again takes fresh commands once one agrees with it", () => {
    const l = lease();
    apply(l, cmd(1, T0), T0);
    l.active(T0 + HOUR_MS); // one hour forward...
    l.active(T0 + 1_000); // ...and back to the right time
    const fresh = cmd(2, T0 + 1_000);
    apply(l, fresh, T0 + 1_000);
    expect(l.active(T0 + 10_999)?.seq).toBe(2);
    expect(l.active(T0 + 11_000)).toBeUndefined();
  });

  it("a backward step while a command is in force keeps the lease's remaining time exactly", () => {
    const l = lease();
    apply(l, cmd(1, T0, 20_000), T0);
    l.active(T0 + 5_000);
    expect(l.leaseEndsAt()).toBe(T0 + 20_000);
    l.active(T0 + 5_000 - HOUR_MS);
    expect(l.leaseEndsAt()).toBe(T0 + 20_000 - HOUR_MS);
    // A new command agreeing with the stepped wall clock re-anchors the time line; the remaining time is unchanged.
    expect(l.receive(cmd(2, T0 + 6_000 - HOUR_MS, 20_000), T0 + 6_000 - HOUR_MS)).toEqual([]);
    expect(l.leaseEndsAt()).toBe(T0 + 20_000 - HOUR_MS);
  });

  it("ignores a non-finite wall time instead of moving the time line", () => {
    const l = lease();
    apply(l, cmd(1, T0), T0);
    expect(l.active(Number.NaN)?.seq).toBe(1);
    expect(l.active(T0 + 9_999)?.seq).toBe(1);
    expect(l.active(T0 + 10_000)).toBeUndefined();
  });
});
